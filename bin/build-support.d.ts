/** Types of build-support.js (plain JavaScript: the `postgate` command loads it before any TypeScript). */
export declare function newestMtime(file: string): number;
export declare function moveIntoPlace(built: string, target: string): void;
