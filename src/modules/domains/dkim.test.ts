import { createSign, createVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dkimPublicKey, dkimRecordMatches, dkimRecordValue, generateDkimPrivateKey } from './dkim.js';

describe('DKIM keys and records', () => {
  it('publishes the public half of the signing key as an RSA-2048 DKIM1 record', async () => {
    const privateKey = await generateDkimPrivateKey();
    expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const publicKey = dkimPublicKey(privateKey);
    const value = dkimRecordValue(publicKey);
    expect(value).toBe(`v=DKIM1; k=rsa; p=${publicKey}`);
    // 2048-bit RSA SPKI in DER is 294 bytes.
    expect(Buffer.from(publicKey, 'base64')).toHaveLength(294);
    const signature = createSign('sha256').update('mail').sign(privateKey);
    const spki = `-----BEGIN PUBLIC KEY-----\n${publicKey}\n-----END PUBLIC KEY-----\n`;
    expect(createVerify('sha256').update('mail').verify(spki, signature)).toBe(true);
  });

  it('matches a published record by its tags, whatever their order and spacing', async () => {
    const publicKey = dkimPublicKey(await generateDkimPrivateKey());
    expect(dkimRecordMatches(dkimRecordValue(publicKey), publicKey)).toBe(true);
    expect(dkimRecordMatches(`k=rsa;p=${publicKey.slice(0, 100)} ${publicKey.slice(100)};v=DKIM1`, publicKey)).toBe(true);
    expect(dkimRecordMatches(`p=${publicKey}`, publicKey)).toBe(true);
    expect(dkimRecordMatches(`v=DKIM1; k=rsa; p=${publicKey.slice(1)}`, publicKey)).toBe(false);
    expect(dkimRecordMatches(`v=DKIM2; k=rsa; p=${publicKey}`, publicKey)).toBe(false);
    expect(dkimRecordMatches(`v=DKIM1; k=ed25519; p=${publicKey}`, publicKey)).toBe(false);
    expect(dkimRecordMatches('v=DKIM1; k=rsa; p=', publicKey)).toBe(false);
  });
});
