import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';

export type TlsMaterial = { key: string; cert: string; generated: boolean };

/**
 * The SMTP certificate: SMTP_TLS_CERT/SMTP_TLS_KEY when set, otherwise a self-signed pair
 * generated once into the data directory (for development; clients must skip verification).
 */
export async function loadTlsMaterial(config: Config): Promise<TlsMaterial> {
  if (config.smtpTlsCert && config.smtpTlsKey) {
    return { cert: readFileSync(config.smtpTlsCert, 'utf8'), key: readFileSync(config.smtpTlsKey, 'utf8'), generated: false };
  }
  const certPath = path.join(config.dataDir, 'smtp-cert.pem');
  const keyPath = path.join(config.dataDir, 'smtp-key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), generated: true };
  }
  mkdirSync(config.dataDir, { recursive: true });
  const now = new Date();
  // Loaded only here: selfsigned (and its X.509 stack) is about 10 MB a started server never needs again.
  const { default: selfsigned } = await import('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 825 * 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  // Security: the private key is readable by its owner only.
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  writeFileSync(certPath, pems.cert);
  return { cert: pems.cert, key: pems.private, generated: true };
}
