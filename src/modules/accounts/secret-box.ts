import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

// Authenticated encryption (AES-256-GCM) and signatures (HMAC-SHA-256) under the install's master
// secret (secret-key.ts). Each purpose gets its own key through HKDF, so a signature made for one
// purpose is worthless for another, and a leaked purpose key exposes nothing else.

export type SecretBox = Readonly<{
  /** Encrypts `plaintext`; `context` (a row id) must be given again to open it. */
  seal(purpose: string, plaintext: string, context: string): string;
  /** The plaintext, or undefined when the box was altered, moved to another row or made with another key. */
  open(purpose: string, sealed: string, context: string): string | undefined;
  /** HMAC-SHA-256 of `data` under the purpose's key, base64url. */
  sign(purpose: string, data: string): string;
}>;

const VERSION = 'v1';

/** `masterKey` is called on first use (so a process that never encrypts never touches the data dir). */
export function createSecretBox(masterKey: () => Buffer): SecretBox {
  let master: Buffer | undefined;
  const keys = new Map<string, Buffer>();
  const keyFor = (purpose: string): Buffer => {
    let key = keys.get(purpose);
    if (!key) {
      master ??= masterKey();
      key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `postgate:${purpose}`, 32));
      keys.set(purpose, key);
    }
    return key;
  };
  return {
    seal(purpose, plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(purpose), iv);
      // The row id is authenticated data: a ciphertext copied into another row does not open.
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(purpose, sealed, context) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== VERSION || !iv || body === undefined || !tag) return undefined;
      try {
        // Security: a full 16-byte tag only; GCM would otherwise accept a truncated (forgeable) one.
        const decipher = createDecipheriv('aes-256-gcm', keyFor(purpose), Buffer.from(iv, 'base64url'), { authTagLength: 16 });
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
    sign(purpose, data) {
      return createHmac('sha256', keyFor(purpose)).update(data).digest('base64url');
    },
  };
}
