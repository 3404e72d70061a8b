import { Webhook } from 'standardwebhooks';

// Standard Webhooks signatures through the `standardwebhooks` package (the same one the resend
// SDK verifies with): `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the decoded secret.
// The three headers are sent twice, as `webhook-*` and as `svix-*` (what Resend sends), so either
// verifier accepts them. During a rotation's grace both secrets sign, space-separated, as the
// specification allows: a receiver holding either secret verifies.

export type SignedHeaders = Record<string, string>;

/** Signs with one secret; made once per secret (it decodes the secret), then reused. */
export type Signer = Readonly<{ sign(id: string, at: Date, body: string): string }>;

export const signerFor = (secret: string): Signer => new Webhook(secret);

export function signedHeaders(input: { id: string; at: Date; body: string; signers: readonly Signer[] }): SignedHeaders {
  const signature = input.signers.map((signer) => signer.sign(input.id, input.at, input.body)).join(' ');
  const timestamp = String(Math.floor(input.at.getTime() / 1000));
  return {
    'webhook-id': input.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
    'svix-id': input.id,
    'svix-timestamp': timestamp,
    'svix-signature': signature,
  };
}
