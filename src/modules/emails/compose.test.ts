import { describe, expect, it } from 'vitest';
import { composeMessage, composeStored, compositionOf, mimeTree, serialise, type Composition } from './compose.js';
import type { PreparedEmail } from './prepare.js';

// serialise() must write exactly what nodemailer's own build() writes for the same tree.

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
  'quoted-printable over 64 KiB (the streaming path)': { text: 'a text with one ü and long lines '.repeat(2_500) },
};

/** Text made of pieces that exercise quoted-printable: spaces before breaks, long runs, non-ASCII, '='. */
function randomText(seed: number): string {
  const pieces = [' ', '  ', '\t', '\r\n', '\n', '\r', '=', 'é', '€', '😀', '.', 'word', 'x'.repeat(90), 'a'.repeat(75), '=\r\n', ' \r\n'];
  let state = seed;
  let text = '';
  const length = 1 + (seed % 200);
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    text += pieces[state % pieces.length];
  }
  return text;
}

describe('composed messages', () => {
  for (const [name, change] of Object.entries(cases)) {
    it(`are what nodemailer's build() makes: ${name}`, async () => {
      const email = { ...base, ...change };
      const tree = mimeTree(email, options);
      const fast = serialise(tree);
      const built = await tree.build();
      if (fast) expect(fast.toString('latin1')).toBe(built.toString('latin1'));
      const composed = await composeMessage(email, options);
      expect(composed.toString('latin1')).toMatch(/^Content-Type: |\r\nContent-Type: /);
      expect(composed.subarray(-2).toString()).toBe('\r\n');
    });
  }

  it('are what build() makes for 500 texts built to trip quoted-printable', async () => {
    let fastPaths = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const text = randomText(seed);
      const tree = mimeTree({ ...base, text, html: seed % 2 ? undefined : `<pre>${text}</pre>` }, options);
      const fast = serialise(tree);
      if (!fast) continue;
      fastPaths++;
      expect(fast.toString('latin1'), JSON.stringify(text)).toBe((await tree.build()).toString('latin1'));
    }
    expect(fastPaths).toBe(500);
  });

  it('take the synchronous path unless quoted-printable text is over 64 KiB', () => {
    expect(serialise(mimeTree(base, options))).toBeDefined();
    expect(serialise(mimeTree({ ...base, ...cases['attachments of every kind'] }, options))).toBeDefined();
    expect(serialise(mimeTree({ ...base, ...cases['non-ASCII body (quoted-printable)'] }, options))).toBeDefined();
    expect(serialise(mimeTree({ ...base, ...cases['quoted-printable over 64 KiB (the streaming path)'] }, options))).toBeUndefined();
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
