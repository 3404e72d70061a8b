import { describe, expect, it } from 'vitest';
import { prepareSubmittedMessage } from './raw-message.js';

const date = new Date('2030-01-01T00:00:00Z');

describe('prepareSubmittedMessage', () => {
  it('removes Bcc (with its continuation lines) and adds Message-ID and Date, leaving the rest byte for byte', () => {
    const raw = Buffer.from('From: a@b.cd\r\nBcc: x@y.z,\r\n  w@y.z\r\nSubject: caf\xe9\r\n\r\nbody\r\nBcc: not a header\r\n', 'latin1');
    const out = prepareSubmittedMessage(raw, { messageId: '<em_1@b.cd>', date });
    expect(out.messageId).toBe('<em_1@b.cd>');
    expect(out.raw.toString('latin1')).toBe(
      'Message-ID: <em_1@b.cd>\r\nDate: Tue, 01 Jan 2030 00:00:00 +0000\r\nFrom: a@b.cd\r\nSubject: caf\xe9\r\n\r\nbody\r\nBcc: not a header\r\n',
    );
  });

  it('keeps an existing Message-ID (unfolded) and Date', () => {
    const raw = Buffer.from('Message-Id:\r\n <mine@b.cd>\r\nDate: Mon, 1 Jan 2029 00:00:00 +0000\r\n\r\nx');
    const out = prepareSubmittedMessage(raw, { messageId: '<em_1@b.cd>', date });
    expect(out.messageId).toBe('<mine@b.cd>');
    expect(out.raw.equals(raw)).toBe(true);
  });

  it('copes with a message that is all headers', () => {
    const out = prepareSubmittedMessage(Buffer.from('From: a@b.cd\r\nDate: x\r\nMessage-ID: <m@b.cd>'), { messageId: '<em_1@b.cd>', date });
    expect(out.raw.toString()).toBe('From: a@b.cd\r\nDate: x\r\nMessage-ID: <m@b.cd>\r\n\r\n');
  });
});
