import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';

// Stage 8's ceiling, a process of its own (pinned by the stage to Postgate's core): nodemailer's
// own pooled SMTP client composing, DKIM-signing and sending the stage's messages to the same
// sink, with as many connections as Postgate's relay pool and as many messages in flight as its
// worker. The key is an RSA-2048 key like a domain's, handed to nodemailer as a KeyObject parsed
// once (its type accepts one), or with `pem` as the PEM text its documentation shows. Prints one
// JSON line: the CPU it spent.

type Options = {
  port: number;
  count: number;
  connections: number;
  inFlight: number;
  pem: boolean;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
};

const o = JSON.parse(process.env.BENCH_CEILING!) as Options;
const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const transporter = nodemailer.createTransport({
  pool: true,
  host: '127.0.0.1',
  port: o.port,
  secure: false,
  ignoreTLS: true,
  maxConnections: o.connections,
  dkim: { domainName: 'bench.example.com', keySelector: 'bench', privateKey: o.pem ? pem : createPrivateKey(pem) },
});

const cpuBefore = process.cpuUsage();
let next = 0;
let failed = 0;
const sender = async (): Promise<void> => {
  while (next < o.count) {
    const i = next++;
    await transporter
      .sendMail({ from: o.from, to: o.to, subject: `${o.subject} ${i}`, text: o.text, html: o.html })
      .catch(() => failed++);
  }
};
await Promise.all(Array.from({ length: o.inFlight }, sender));
const cpu = process.cpuUsage(cpuBefore);
transporter.close();
process.stdout.write(`${JSON.stringify({ cpuUs: cpu.user + cpu.system, failed })}\n`);
