import path from 'node:path';
import { cpuSeconds, ROOT, runToEnd } from './processes.js';

// autocannon as a separate process (never in the bench's own event loop), pinned to the load core.

export const LOAD_CORE = 1;
export const SERVER_CORE = 0;

const AUTOCANNON = path.join(ROOT, 'node_modules/autocannon/autocannon.js');

export type LoadResult = {
  /** Successful (2xx) replies per second: the figure the table uses. */
  okPerSec: number;
  /** All replies per second, whatever their status. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /**
   * Server CPU time (user + system) per reply, in microseconds, when the server's pid was given.
   * Unlike requests per second it hardly moves when other work shares the machine, so the ratio
   * of two of them is the steadier comparison on a busy box.
   */
  cpuUsPerReq: number | undefined;
};

export type LoadOptions = {
  url: string;
  seconds: number;
  /** A fixed number of requests instead of a duration. */
  amount?: number;
  connections: number;
  method?: 'GET' | 'POST';
  token?: string | undefined;
  body?: string;
  /** The server's pid, to account its CPU time during the run. */
  serverPid?: number | undefined;
  /** The core autocannon is pinned to: LOAD_CORE unless the server is on that one. */
  core?: number;
};

type AutocannonJson = {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  requests: { total: number; average: number };
  latency: { p50: number; p99: number };
  statusCodeStats?: Record<string, { count: number }>;
};

export async function autocannon(options: LoadOptions): Promise<LoadResult> {
  const length = options.amount === undefined ? ['-d', String(options.seconds)] : ['-a', String(options.amount)];
  const args = [AUTOCANNON, '-j', '-c', String(options.connections), ...length, '-m', options.method ?? 'GET'];
  if (options.token) args.push('-H', `authorization=Bearer ${options.token}`);
  if (options.body !== undefined) args.push('-H', 'content-type=application/json', '-b', options.body);
  args.push(options.url);
  const cpuBefore = options.serverPid === undefined ? undefined : cpuSeconds(options.serverPid);
  const out = await runToEnd({ core: options.core ?? LOAD_CORE, command: process.execPath, args });
  const cpuAfter = options.serverPid === undefined ? undefined : cpuSeconds(options.serverPid);
  const r = JSON.parse(out) as AutocannonJson;
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  return {
    okPerSec: r['2xx'] / r.duration,
    reqPerSec: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    statusCodes,
    cpuUsPerReq: cpuBefore !== undefined && cpuAfter !== undefined && r.requests.total > 0 ? ((cpuAfter - cpuBefore) * 1e6) / r.requests.total : undefined,
  };
}

/** A short unmeasured run (JIT, connection pools, caches), then the measured one. */
export async function warmThenMeasure(options: LoadOptions, warmSeconds = 1): Promise<LoadResult> {
  await autocannon({ ...options, seconds: warmSeconds });
  return autocannon(options);
}

export function describeLoad(r: LoadResult): string {
  const bad = r.non2xx + r.errors > 0 ? `, non-2xx ${r.non2xx} ${JSON.stringify(r.statusCodes)}, errors ${r.errors}` : '';
  const cpu = r.cpuUsPerReq === undefined ? '' : `, server CPU ${r.cpuUsPerReq.toFixed(1)} µs/req`;
  return `${Math.round(r.okPerSec).toLocaleString('en-US')} ok/s, p99 ${r.p99Ms} ms${cpu}${bad}`;
}
