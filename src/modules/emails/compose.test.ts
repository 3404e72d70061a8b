import { describe, expect, it } from 'vitest';
import { composeMessage, composeStored, compositionOf, type Composition } from './compose.js';
import type { PreparedEmail } from './prepare.js';

// Messages composed with nodemailer's MailComposer, and compositions stored at acceptance that
// compose to the same message at delivery.

const base: PreparedEmail = {
  from: { name: 'Acme', address: 'hello@acme.test' },
  to: [{ name: undefined, address: 'someone@example.net' }],
  cc: [],
  bcc: [],
  replyTo: [],
  subject: 'Hello',
  html: undefined,
  text: 'Plain words.',
  headers: [],
  attachments: [],
  tags: [],
  scheduledAt: undefined,
};
const options = { messageId: '<em_1@acme.test>', date: new Date('2030-01-02T03:04:05Z') };
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) % 256));

const cases: Record<string, Partial<PreparedEmail>> = {
  'plain text': {},
  'text and html': { html: '<p>Hello <b>there</b></p>' },
  'html only': { text: undefined, html: '<p>Hi</p>' },
  'names, cc, reply-to and custom headers': {
    from: { name: 'Zoë "Z" Example', address: 'z@acme.test' },
    to: [{ name: 'Jürgen', address: 'j@example.net' }, { name: undefined, address: 'k@example.net' }],
    cc: [{ name: 'C, Person', address: 'c@example.net' }],
    replyTo: [{ name: undefined, address: 'support@acme.test' }],
    subject: 'Grüße aus Köln — a subject long enough to be folded over more than one header line, surely',
    headers: [{ key: 'X-Entity-Ref-ID', value: 'abc-123' }, { key: 'List-Unsubscribe', value: '<https://acme.test/u?x=1>' }],
  },
  'attachments of every kind': {
    html: '<p>See <img src="cid:logo@acme"></p>',
    attachments: [
      { filename: 'report.pdf', content: bytes(5000), contentType: 'application/pdf', cid: undefined },
      { filename: 'notes.txt', content: Buffer.from('line one\r\nline two\r\n'), contentType: undefined, cid: undefined },
      { filename: 'logo.png', content: bytes(300), contentType: 'image/png', cid: 'logo@acme' },
      { filename: 'empty.bin', content: Buffer.alloc(0), contentType: undefined, cid: undefined },
    ],
  },
  'non-ASCII body (quoted-printable)': { text: 'Grüße, ça va ? Ünïcödé everywhere.', html: '<p>Grüße</p>' },
  'a line over 76 characters': { text: `${'word '.repeat(40)}\r\nnext` },
  'quoted-printable over 64 KiB': { text: 'a text with one ü and long lines '.repeat(2_500) },
};

describe('composed messages', () => {
  for (const [name, change] of Object.entries(cases)) {
    it(`carry the email's headers and end with a line break: ${name}`, async () => {
      const email = { ...base, ...change };
      const composed = (await composeMessage(email, options)).toString('latin1');
      const headers = composed.split('\r\n\r\n')[0]!;
      expect(headers).toMatch(/^Content-Type: |\r\nContent-Type: /);
      expect(headers).toContain('Message-ID: <em_1@acme.test>');
      expect(headers).toContain('Date: Wed, 02 Jan 2030 03:04:05 +0000');
      expect(headers).toMatch(/\r\nTo: /);
      expect(composed.endsWith('\r\n')).toBe(true);
    });
  }

  it('refuse a header with a line break, whatever reached them', async () => {
    await expect(composeMessage({ ...base, headers: [{ key: 'X-Ref', value: 'a\r\nBcc: x@example.net' }] }, options)).rejects.toThrow(/line break/);
  });
});

// Boundaries are random per composition; everything else must match byte for byte.
const sameBoundaries = (message: Buffer): string => message.toString('latin1').replace(/--_NmP-[0-9a-f]+-Part_\d+/g, '--BOUNDARY').replace(/boundary="[^"]+"/g, 'boundary="BOUNDARY"');

describe('compositions stored at acceptance', () => {
  for (const [name, change] of Object.entries(cases)) {
    it(`compose at delivery to the message composing at acceptance made: ${name}`, async () => {
      const email = { ...base, ...change };
      // Through JSON, as the database keeps it (jsonb): no Buffer, no undefined survives.
      const stored = JSON.parse(JSON.stringify(compositionOf(email, options.date))) as Composition;
      const later = await composeStored({ composition: stored, subject: email.subject, html: email.html ?? null, text: email.text ?? null, messageId: options.messageId });
      const now = await composeMessage(email, options);
      expect(sameBoundaries(later)).toBe(sameBoundaries(now));
    });
  }
});
