/** Types of tick-objects.js (plain JavaScript: the `postgate` command loads it before anything else). */
export declare function tickObject(): object | undefined;
export declare function keepTickObjectShape(): object | undefined;
export declare function keptTickObject(): object | undefined;
