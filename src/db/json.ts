// JSON handed to PostgreSQL as one parameter (json_to_recordset), as the group commit's and the
// delivery recorder's statements read their rows.

// JSON.stringify writes a lone surrogate (a JSON body may carry one) as a \udXXX escape, which
// PostgreSQL's json refuses; as a plain text parameter it became U+FFFD. The same here.
const LONE_SURROGATE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/** `value` as JSON PostgreSQL accepts: lone surrogates replaced by U+FFFD. */
export function wellFormedJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\ud') ? json.replace(LONE_SURROGATE, '$1\\ufffd') : json;
}
