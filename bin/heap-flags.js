// The V8 heap settings `postgate` asks for, before anything is loaded (bin/postgate.js).
//
// On the embedded database, a compact heap: the young generation stays at its starting size
// (1 MB semi-spaces instead of growing to 16 MB) and the old one is collected once it grows 20%
// past what survived the last collection (V8 otherwise lets it grow up to 4x). PGlite's
// WebAssembly memory makes that process the larger one; this is what keeps it near the 250 MB
// budget under load (bench/RESULTS.md).
//
// On PostgreSQL (DATABASE_URL set; empty counts as unset, as in the configuration), V8 keeps its
// defaults: the server stays far below that size, and the compact heap cost it a third of its
// email throughput (1,820 to 2,230 emails/s against 2,600 to 3,100, bench/RESULTS.md).
//
// An operator who sizes the heap with node's own flags (NODE_OPTIONS or the command line) keeps
// exactly those.

const OPERATOR_HEAP_FLAGS = /--(max-semi-space-size|min-semi-space-size|max-old-space-size|heap-growing-percent|semi-space-growth-factor)\b/;

export const COMPACT_HEAP_FLAGS = Object.freeze(['--semi-space-growth-factor=1', '--heap-growing-percent=20']);

/** The flags to set for a process with this environment and these node arguments. */
export function heapFlags(env, execArgv) {
  if (env.DATABASE_URL) return [];
  if (OPERATOR_HEAP_FLAGS.test([...execArgv, env.NODE_OPTIONS ?? ''].join(' '))) return [];
  return [...COMPACT_HEAP_FLAGS];
}
