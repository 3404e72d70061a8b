// Text PostgreSQL cannot store: NUL (U+0000), which a text column rejects, and unpaired UTF-16
// surrogates, which are not text at all ("\ud800" in JSON). Every edge refuses it before a
// service stores anything (HTTP: plugins/text-input.ts; SMTP: the emails service).

/** NUL, or a surrogate that is not half of a pair (with the `u` flag a pair is one code point). */
const BAD_TEXT = /\u0000|\p{Cs}/u;

/** The path of the first string (value or object key) in `value` holding bad text, if any. */
export function badTextPath(value: unknown, root: string): string | undefined {
  // Iterative, not recursive: a JSON body may nest deeper than the call stack.
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (BAD_TEXT.test(current)) return path || 'body';
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], `${path}[${i}]`]);
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current).reverse()) {
        const childPath = path ? `${path}.${key}` : key;
        if (BAD_TEXT.test(key)) return childPath;
        stack.push([child, childPath]);
      }
    }
  }
  return undefined;
}

