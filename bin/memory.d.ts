/** Types of memory.js (plain JavaScript: the `postgate` command loads it before anything else). */
export declare const COMPACT_HEAP_FLAGS: readonly string[];
export declare const POSTGRES_START_FLAGS: readonly string[];
export declare function heapFlags(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string[];
export declare function startFlags(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string[];
export declare const MALLOC_ARENAS: string;
export declare function reexecution(
  env: NodeJS.ProcessEnv,
  execArgv: readonly string[],
  platform: NodeJS.Platform,
  canReexecute: boolean,
): { env: NodeJS.ProcessEnv; execArgv: string[] } | undefined;
export declare function canReexecute(proc: NodeJS.Process): boolean;
