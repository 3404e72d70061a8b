// The memory settings of the `postgate` command, applied by bin/postgate.js before anything
// else is loaded. Figures: bench/RESULTS.md.

// V8's heap. On the embedded database, a compact heap: the young generation stays near its
// starting size (1 MB semi-spaces instead of growing to 16 MB) and the old one is collected once
// it grows 20% past what survived the last collection (V8 otherwise lets it grow up to 4x).
// Its collections are then small and frequent (one every 1 MB allocated, about every 100 warm
// requests, keeping some 3 KB, 0.3%), so each runs on the main thread alone: spread over helper
// threads, waking and joining them cost more than the copying they share, and twice the main
// thread's time in collections (9.4% against 4.6% of a warm /whoami load, bench/RESULTS.md).
// PGlite's WebAssembly memory makes that process the larger one. V8 reads these flags as the heap
// grows, so they are set from JavaScript at start.
//
// On PostgreSQL (DATABASE_URL set; empty counts as unset, as in the configuration) the compact
// heap cost about a third of the email throughput, and the young generation may grow, up to
// semi-spaces of 16 MB: Node 20's limit. Node 24 allows 64 MB, and under the bench's
// `POST /emails` load its server then held 292 MB against 152 to 166 with the limit, for no
// measurable gain in throughput. V8 reads that limit only when the process starts, so it is a node argument
// of the re-execution below. An operator who sizes the heap with node's own flags (NODE_OPTIONS or
// the command line) keeps exactly those.

const OPERATOR_HEAP_FLAGS = /--(max-semi-space-size|min-semi-space-size|max-old-space-size|heap-growing-percent|semi-space-growth-factor)\b/;

export const COMPACT_HEAP_FLAGS = Object.freeze(['--semi-space-growth-factor=1', '--heap-growing-percent=20', '--no-parallel-scavenge']);

export const POSTGRES_START_FLAGS = Object.freeze(['--max-semi-space-size=16']);

function operatorSizedHeap(env, execArgv) {
  return OPERATOR_HEAP_FLAGS.test([...execArgv, env.NODE_OPTIONS ?? ''].join(' '));
}

/** The V8 flags to set from JavaScript in a process with this environment and these node arguments. */
export function heapFlags(env, execArgv) {
  if (env.DATABASE_URL || operatorSizedHeap(env, execArgv)) return [];
  return [...COMPACT_HEAP_FLAGS];
}

/** The node arguments the server must start with (V8 reads them at start only), beyond its own. */
export function startFlags(env, execArgv) {
  if (!env.DATABASE_URL || operatorSizedHeap(env, execArgv)) return [];
  return [...POSTGRES_START_FLAGS];
}

// glibc's malloc. Each thread that allocates gets an arena of its own (up to 8 per core), and
// memory freed in an arena mostly stays resident. V8's worker threads left about 50 MB so in the
// server on PGlite; with two arenas its peak under the bench's loads fell from 255 to 203 MB, at
// no measurable cost in throughput. The variable is read when the process starts, so the server
// re-executes itself with it, in place (same process id, nothing left behind), where node can:
// process.execve, in Node.js 22.15 and later. On older Node.js, or to choose another value, set
// MALLOC_ARENA_MAX in the server's environment (docs/deploy.md). Other C libraries ignore it.

export const MALLOC_ARENAS = '2';

/**
 * How `postgate start` re-executes itself, or undefined to run as it is: on Linux, where it can
 * re-execute (process.execve exists, and no IPC channel to a parent process, a process manager's,
 * would be lost with the re-execution), when MALLOC_ARENA_MAX is unset (by the operator, or by the
 * re-execution itself) or a start flag is missing (startFlags: a re-executed process has them).
 */
export function reexecution(env, execArgv, platform, canReexecute) {
  if (platform !== 'linux' || !canReexecute) return undefined;
  const flags = startFlags(env, execArgv);
  if (env.MALLOC_ARENA_MAX !== undefined && flags.length === 0) return undefined;
  return {
    env: env.MALLOC_ARENA_MAX === undefined ? { ...env, MALLOC_ARENA_MAX: MALLOC_ARENAS } : env,
    execArgv: [...execArgv, ...flags],
  };
}

/** Whether this process can re-execute itself in place (see reexecution). */
export function canReexecute(proc) {
  return typeof proc.execve === 'function' && proc.channel === undefined;
}
