import type { AppError } from '../../lib/errors.js';
import { validationError } from '../../lib/errors.js';

// A zod issue of a request body as the 422 the service would give: the field named the way the
// service names its own (`to[1]`, `[3].subject`). The route uses it for a body refused whole (the
// Fastify validator hands it the issues); a permissive batch for each of its items.

/** A zod issue, or the same fields as fastify-type-provider-zod passes them on. */
export type BodyIssue = {
  code?: string | undefined;
  path?: readonly PropertyKey[] | undefined;
  message?: string | undefined;
  keys?: readonly string[] | undefined;
  errors?: readonly (readonly BodyIssue[])[] | undefined;
};

export function bodyIssueError(issue: BodyIssue): AppError {
  const meant = specific(issue);
  const path = [...(issue.path ?? []), ...(meant === issue ? [] : (meant.path ?? []))].map(String);
  if (meant.code === 'unrecognized_keys' && meant.keys?.[0]) {
    return validationError(fieldPath([...path, meant.keys[0]]), 'unknown field; it cannot be set here');
  }
  return validationError(fieldPath(path) || 'body', messageOf(meant));
}

function messageOf(issue: BodyIssue): string {
  // zod says "Invalid input: expected string, received undefined" for a field left out.
  if (issue.code === 'invalid_type' && issue.message?.endsWith('received undefined')) return 'is required';
  return issue.message ?? 'is invalid';
}

/**
 * For a value that matched none of a union's shapes (`to` is a string or a list), the issue of
 * the shape it was meant to have: "Too big: expected array to have <=50 items", not "Invalid input".
 */
function specific(issue: BodyIssue): BodyIssue {
  if (issue.code !== 'invalid_union' || !issue.errors) return issue;
  const meant = issue.errors.find((branch) => branch.length > 0 && !(branch[0]!.code === 'invalid_type' && (branch[0]!.path ?? []).length === 0));
  if (meant) return meant[0]!;
  // Of the wrong type for every shape: the first shape's complaint ("expected string, received number").
  const first = issue.errors[0]?.[0];
  return first?.code === 'invalid_type' && (first.path ?? []).length === 0 ? first : issue;
}

function fieldPath(segments: string[]): string {
  return segments
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
    .join('')
    .replace(/^\./, '');
}
