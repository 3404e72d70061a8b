/** Types of heap-flags.js (plain JavaScript: the `postgate` command loads it before anything else). */
export declare const COMPACT_HEAP_FLAGS: readonly string[];
export declare function heapFlags(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string[];
