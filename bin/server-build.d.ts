/** Types of server-build.js (plain JavaScript: the `postgate` command loads it before any TypeScript). */
export declare const DIST_MAIN_URL: string;
export declare function serverBuildIsFresh(): boolean;
export declare function buildServer(): Promise<number>;
