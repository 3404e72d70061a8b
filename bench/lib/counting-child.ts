import { spawn } from 'node:child_process';
import path from 'node:path';
import { LOAD_CORE } from './load.js';
import { inheritedEnv, pinned, ROOT } from './processes.js';

// The receiving side of stages 8 and 9 (the sink relay, the webhook receiver): a child pinned to
// the load core that listens, sends its port, then per round counts what arrives until it has
// seen `expect`, telling its first arrival (so the sender's CPU is read from then) and the round's
// figures over IPC.

/** What a round saw: arrivals, and the ms from the first to the last. */
export type Counted = { received: number; ms: number };

export type CountingChild<D extends Counted> = {
  port: number;
  round(expect: number, onFirst: () => void): Promise<D>;
  stop(): Promise<void>;
};

/** Starts `bench/stages/<script>` as the counting child. */
export function startCountingChild<D extends Counted>(script: string): Promise<CountingChild<D>> {
  const [command, args] = pinned(LOAD_CORE, process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/stages', script)]);
  const child = spawn(command, args, { cwd: ROOT, env: inheritedEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (message: { port: number }) =>
      resolve({
        port: message.port,
        round: (expect, onFirst) =>
          new Promise((done) => {
            const listener = (m: { first?: boolean; done?: D }): void => {
              if (m.first) onFirst();
              if (!m.done) return;
              child.off('message', listener);
              done(m.done);
            };
            child.on('message', listener);
            child.send({ expect });
          }),
        stop: () =>
          new Promise<void>((stopped) => {
            child.once('exit', () => stopped());
            child.send({ stop: true });
          }),
      }),
    );
  });
}

/** Arrivals per second over a round (the first arrival starts the clock, so it is not counted). */
export const perSecond = (r: Counted): number => ((r.received - 1) * 1000) / r.ms;
