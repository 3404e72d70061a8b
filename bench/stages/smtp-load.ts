import nodemailer from 'nodemailer';

// Stage 4's load generator, in its own process (pinned by the parent): a nodemailer pool of N
// authenticated connections (username `postgate`, the API key as password), each kept busy with
// one message after another for the given time. Prints one JSON line on stdout.

type Options = {
  host: string;
  port: number;
  /** true: implicit TLS (SMTPS_PORT); false: STARTTLS, required (SMTP_PORT). */
  secure: boolean;
  token: string;
  from: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
};

const o = JSON.parse(process.env.BENCH_SMTP!) as Options;

const transport = nodemailer.createTransport({
  host: o.host,
  port: o.port,
  secure: o.secure,
  requireTLS: !o.secure,
  // The generated development certificate is self-signed.
  tls: { rejectUnauthorized: false },
  auth: { user: 'postgate', pass: o.token },
  pool: true,
  maxConnections: o.connections,
  maxMessages: Number.POSITIVE_INFINITY,
});

const message = {
  from: o.from,
  to: 'sink@example.net',
  subject: 'Postgate benchmark',
  text: 'A short transactional message, as a password reset or a receipt would be.',
};

let sent = 0;
/** Every accepted message, warm-up included: the parent divides the server's CPU time by it. */
let total = 0;
let failed = 0;
let firstError: string | undefined;
let counting = false;

async function worker(until: number): Promise<void> {
  while (Date.now() < until) {
    try {
      await transport.sendMail(message);
      total++;
      if (counting) sent++;
    } catch (error) {
      if (counting) failed++;
      firstError ??= error instanceof Error ? error.message : String(error);
      if (failed > 100 && sent === 0) return;
    }
  }
}

const warmEnd = Date.now() + o.warmupSeconds * 1000;
await Promise.all(Array.from({ length: o.connections }, () => worker(warmEnd)));
counting = true;
const start = process.hrtime.bigint();
const end = Date.now() + o.seconds * 1000;
await Promise.all(Array.from({ length: o.connections }, () => worker(end)));
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
transport.close();
process.stdout.write(`${JSON.stringify({ sent, total, failed, perSec: sent / elapsed, firstError })}\n`);
