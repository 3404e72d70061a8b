/** Types of memory.js (plain JavaScript: the `postgate` command loads it before anything else). */
export declare const COMPACT_HEAP_FLAGS: readonly string[];
export declare function heapFlags(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string[];
export declare const MALLOC_ARENAS: string;
export declare function mallocArenaEnv(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, canReexecute: boolean): NodeJS.ProcessEnv | undefined;
export declare function canReexecute(proc: NodeJS.Process): boolean;
