// One of Node's own tick objects, kept for the life of the server, so that V8 keeps their hidden
// classes (maps) and process.nextTick stays on its fast path. Applied by bin/postgate.js to
// `postgate start`, before anything else is loaded. Figures: bench/RESULTS.md.
//
// Why: process.nextTick builds each tick object as an object literal with computed (symbol)
// keys. The maps those keys lead to hang off weak transitions: a full garbage collection that
// finds no tick object alive (the server idle, or between collections at start-up) frees them,
// and the next tick object gets new ones. Each generation adds a map to the inline caches of
// nextTick's literal; past four they go megamorphic for good, and every nextTick then adds its
// properties through V8's runtime. Node's streams call nextTick several times per HTTP request:
// a server in that state spent about 4 µs more per /whoami (19.4 against 15.5 µs of CPU, 0.79x
// of the bare route) on Node 20, after a pause of 30 s (V8's memory reducer) or after the SMTP
// role's first start (generating its certificate). A live tick object keeps every map of the
// chain alive (each map holds its parent), so the caches stay monomorphic.

import { createHook } from 'node:async_hooks';

/** @type {object | undefined} */
let kept;

function noop() {}

/** The tick object kept, if one is. */
export function keptTickObject() {
  return kept;
}

/**
 * The tick object of one `process.nextTick`: an async hook's init sees the resource of each async
 * operation, for a nextTick the tick object itself, synchronously inside the call. The hook is
 * disabled right after, outside its own callback: disabled from within it, Node 20 left its
 * promise hooks installed (a cost on every promise: 108 against 100 µs of CPU per POST /emails
 * on PostgreSQL).
 */
export function tickObject() {
  /** @type {object | undefined} */
  let taken;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') taken ??= resource;
    },
  });
  hook.enable();
  try {
    process.nextTick(noop);
  } finally {
    hook.disable();
  }
  return taken;
}

/** Keeps one tick object alive from now on (once per process); returns it. */
export function keepTickObjectShape() {
  kept ??= tickObject();
  return kept;
}
