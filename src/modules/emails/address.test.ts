import { describe, expect, it } from 'vitest';
import { formatMailbox, parseAddress, parseMailbox } from './address.js';

describe('parseMailbox', () => {
  it('reads a bare address and "Name <address>", quoted or not', () => {
    expect(parseMailbox('a@Example.COM')).toEqual({ ok: true, mailbox: { name: undefined, address: 'a@example.com' } });
    expect(parseMailbox('Acme Team <team@acme.test>')).toEqual({ ok: true, mailbox: { name: 'Acme Team', address: 'team@acme.test' } });
    expect(parseMailbox('"Doe, Jane \\"JD\\"" <jd@acme.test>')).toEqual({ ok: true, mailbox: { name: 'Doe, Jane "JD"', address: 'jd@acme.test' } });
    expect(parseMailbox('<only@acme.test>')).toEqual({ ok: true, mailbox: { name: undefined, address: 'only@acme.test' } });
  });

  it('converts international domains to punycode', () => {
    expect(parseMailbox('a@bücher.example')).toMatchObject({ ok: true, mailbox: { address: 'a@xn--bcher-kva.example' } });
  });

  it('refuses line breaks and control characters anywhere, naming the reason', () => {
    for (const text of ['Evil\r\nBcc: x@y.z <a@b.cd>', 'a@b.cd\nBcc: x@y.z', 'Name\r <a@b.cd>', 'a@b.cd\r']) {
      expect(parseMailbox(text)).toEqual({ ok: false, reason: 'must not contain CR or LF' });
    }
    expect(parseMailbox('Na\u0000me <a@b.cd>')).toEqual({ ok: false, reason: 'must not contain control characters' });
  });

  it('refuses what is not one address', () => {
    for (const text of ['', 'plain', 'a@b', 'a@@b.cd', 'a b@c.de', 'a@b.cd, c@d.ef', '<a@b.cd> <c@d.ef>', 'Name "x" <a@b.cd>', '"open <a@b.cd>', 'a@-b.cd', 'a@b.c0', '.a@b.cd', 'a..b@c.de', 'ü@b.cd', `${'x'.repeat(65)}@b.cd`]) {
      expect(parseMailbox(text).ok, text).toBe(false);
    }
  });
});

describe('parseAddress and formatMailbox', () => {
  it('normalises the domain only', () => {
    expect(parseAddress('First.Last+tag@Sub.Example.org.')).toBe('First.Last+tag@sub.example.org');
  });

  it('answers a domain seen before (memoised) as the first time, valid or not', () => {
    for (let i = 0; i < 2; i++) {
      expect(parseAddress('b@Memo.Example.ORG')).toBe('b@memo.example.org');
      expect(parseAddress('b@bücher-memo.example')).toBe('b@xn--bcher-memo-9db.example');
      expect(parseAddress('b@-memo.example')).toBeUndefined();
    }
  });

  it('quotes names holding address punctuation', () => {
    expect(formatMailbox({ name: 'Acme', address: 'a@b.cd' })).toBe('Acme <a@b.cd>');
    expect(formatMailbox({ name: 'Doe, Jane', address: 'a@b.cd' })).toBe('"Doe, Jane" <a@b.cd>');
    expect(formatMailbox({ name: undefined, address: 'a@b.cd' })).toBe('a@b.cd');
  });
});
