import { createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

// RSA-2048: what every receiver verifies (Ed25519 DKIM, RFC 8463, is still not universally
// checked) and the most a single DNS TXT record comfortably carries.
const MODULUS_BITS = 2048;

/** A new DKIM signing key as PKCS#8 PEM, generated off the event loop. */
export async function generateDkimPrivateKey(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: MODULUS_BITS });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The base64 SubjectPublicKeyInfo of a private key: the `p=` tag of its DKIM record. */
export function dkimPublicKey(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
}

export function dkimRecordValue(publicKey: string): string {
  return `v=DKIM1; k=rsa; p=${publicKey}`;
}

/**
 * True when a published DKIM record (its TXT strings already joined) carries `publicKey`.
 * Tags are compared, not the whole text: hosts reorder tags and insert spaces, and RFC 6376
 * (3.6.1) lets whitespace fall anywhere in `p=`.
 */
export function dkimRecordMatches(published: string, publicKey: string): boolean {
  const tags = new Map<string, string>();
  for (const part of published.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ''));
  }
  const version = tags.get('v');
  if (version !== undefined && version !== 'DKIM1') return false;
  const keyType = tags.get('k');
  if (keyType !== undefined && keyType.toLowerCase() !== 'rsa') return false;
  return tags.get('p') === publicKey;
}
