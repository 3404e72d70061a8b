import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import { composeMessage } from './compose.js';
import { prepareEmail, sanitiseFilename } from './prepare.js';
import type { SendEmailInput } from './schemas.js';

const base: SendEmailInput = { from: 'Acme <a@acme.test>', to: 'r@example.net', subject: 'Hi', text: 'x' };
const now = new Date('2030-01-01T00:00:00Z');
const refusal = (input: Partial<SendEmailInput>, prefix = ''): AppError => {
  try {
    prepareEmail({ ...base, ...input } as SendEmailInput, { prefix, now });
  } catch (error) {
    return error as AppError;
  }
  throw new Error('accepted');
};

describe('prepareEmail', () => {
  it('names the field of every header-injection attempt, prefixed in a batch', () => {
    expect(refusal({ subject: 'a\r\nBcc: x@y.z' }).message).toBe('subject: must not contain CR or LF');
    expect(refusal({ subject: 'a\nb' }, '[4]').message).toBe('[4].subject: must not contain CR or LF');
    expect(refusal({ cc: ['ok@x.yz', 'E\r\nvil <e@x.yz>'] }).message).toBe('cc[1]: must not contain CR or LF');
    expect(refusal({ headers: { 'X-A\nB': 'v' } }).message).toMatch(/^headers: the header name "X-A\\nB" must not contain CR or LF/);
    expect(refusal({ headers: { 'X-A': 'v\r\n' } }).message).toBe('headers.X-A: must not contain CR or LF');
    expect(refusal({ headers: { 'Content-Type': 'text/html' } }).message).toMatch(/^headers\.Content-Type: is set by Postgate/);
    expect(refusal({ headers: { 'dkim-signature': 'v=1' } }).code).toBe('validation_error');
  });

  it('decodes attachments and caps their total (413)', () => {
    const email = prepareEmail({ ...base, attachments: [{ filename: 'a.txt', content: Buffer.from('hello').toString('base64') }] }, { prefix: '', now });
    expect(email.attachments[0]!.content.toString()).toBe('hello');
    const big = Buffer.alloc(4 * 1024 * 1024).toString('base64');
    const error = refusal({ attachments: [{ content: big }, { content: big }] });
    expect(error.code).toBe('payload_too_large');
  });

  it('reads scheduled_at with a zone, up to 30 days ahead', () => {
    expect(prepareEmail({ ...base, scheduled_at: '2030-01-02T09:00:00+02:00' }, { prefix: '', now }).scheduledAt?.toISOString()).toBe('2030-01-02T07:00:00.000Z');
    expect(refusal({ scheduled_at: '2030-01-02T09:00:00' }).message).toMatch(/^scheduled_at: must be an ISO 8601 time with a zone/);
    expect(refusal({ scheduled_at: '2030-03-01T00:00:00Z' }).message).toMatch(/at most 30 days/);
  });
});

describe('sanitiseFilename', () => {
  it('keeps the last path segment, replaces control characters and quotes, drops leading dots', () => {
    expect(sanitiseFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitiseFilename('C:\\Users\\me\\report.pdf')).toBe('report.pdf');
    expect(sanitiseFilename('in\r\nvoice".pdf')).toBe('in__voice_.pdf');
    expect(sanitiseFilename('..hidden')).toBe('hidden');
    expect(sanitiseFilename(undefined)).toBe('attachment');
    expect(sanitiseFilename('/')).toBe('attachment');
    expect(sanitiseFilename('x'.repeat(300))).toHaveLength(200);
  });
});

describe('composeMessage', () => {
  it('writes no Bcc header and one line per header', async () => {
    const email = prepareEmail({ ...base, bcc: 'hidden@example.net', headers: { 'X-Ref': 'one' }, attachments: [{ filename: 'x\r\ny.txt', content: 'aGk=' }] }, { prefix: '', now });
    const raw = (await composeMessage(email, { messageId: '<em_1@acme.test>', date: now })).toString();
    expect(raw).not.toMatch(/hidden@example\.net/);
    expect(raw).toMatch(/^X-Ref: one\r$/m);
    expect(raw).toMatch(/^Message-ID: <em_1@acme\.test>\r$/m);
    expect(raw).toMatch(/filename=x__y\.txt/);
  });
});
