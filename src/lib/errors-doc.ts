import { ERROR_CATALOGUE, ERROR_CODES } from './errors.js';

// The table of docs/errors.md, rendered from the catalogue so the page matches the code by
// construction. `npm run docs:errors` (scripts/errors-doc.js) rewrites it; a test fails when the page
// differs from what this renders.

export const TABLE_START = '<!-- errors table: generated from src/lib/errors.ts by `npm run docs:errors`; edit it there -->';
export const TABLE_END = '<!-- end of errors table -->';

/** The Markdown table of every code, in catalogue order. */
export function renderErrorTable(): string {
  const rows = ERROR_CODES.map((code) => {
    const { http, smtp, when } = ERROR_CATALOGUE[code];
    // A `|` would end the cell early.
    return `| \`${code}\` | ${http} | ${smtp.join(' ')} | ${when.replaceAll('|', '\\|')} |`;
  });
  return ['| code | HTTP | SMTP | when |', '|---|---|---|---|', ...rows].join('\n');
}

/** The page with the table between its markers replaced by a fresh rendering, the prose kept. */
export function withErrorTable(doc: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`docs/errors.md needs the markers ${TABLE_START} and ${TABLE_END}, in that order`);
  return `${doc.slice(0, start + TABLE_START.length)}\n${renderErrorTable()}\n${doc.slice(end)}`;
}
