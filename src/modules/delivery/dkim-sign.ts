import DKIM from 'nodemailer/lib/dkim';
import type { SigningKey } from './signing-keys.js';

/** The message with a DKIM-Signature (relaxed/relaxed, rsa-sha256) prepended by nodemailer's signer. */
export async function signMessage(raw: Buffer, key: SigningKey): Promise<Buffer> {
  const signer = new DKIM({ domainName: key.domainName, keySelector: key.selector, privateKey: key.privateKey, cacheDir: false });
  const chunks: Buffer[] = [];
  const stream = signer.sign(raw);
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}
