// One error type and one closed catalogue of codes. The edges (HTTP, SMTP) map a code to their
// own reply; each map is written `satisfies Record<ErrorCode, ...>` so no code can be forgotten.
// docs/errors.md documents every code, and a test fails when one is missing there.

export const ERROR_CODES = [
  /** Malformed JSON body, or a body where none is accepted. */
  'invalid_json',
  /** A header is malformed (Authorization with another scheme, a bad Idempotency-Key). */
  'invalid_header',
  /** The request is malformed in a way no more specific code covers. */
  'bad_request',
  /** The URL cannot be decoded (bad percent-encoding, invalid UTF-8). */
  'invalid_url',
  /** No Authorization header, or an empty bearer token. */
  'missing_api_key',
  /** The key is malformed, unknown, revoked, expired or rotated out: one answer for all. */
  'invalid_api_key',
  /** Dashboard: no valid session (none, expired or signed out). */
  'session_required',
  /** Dashboard: wrong email or password. */
  'invalid_credentials',
  /** Dashboard: a state change without the session's CSRF token, or from another site. */
  'csrf_rejected',
  /** The key is valid but lacks the scope the route needs. */
  'insufficient_scope',
  /** A key tried to make or manage a key broader than itself (domains, IP ranges, expiry, mode), itself included. */
  'privilege_escalation',
  /** The client address is outside the key's allowed_ips. */
  'ip_not_allowed',
  /** The sending domain is outside the key's domain_ids. */
  'domain_not_allowed',
  /** The sending domain is not a verified domain of the organization. */
  'domain_not_verified',
  /** The object does not exist, or belongs to another organization. */
  'not_found',
  /** The route exists but not with this method. */
  'method_not_allowed',
  /** The object changed under a concurrent request (two rotations at once); retry. */
  'conflict',
  /** An Idempotency-Key was reused with a different payload. */
  'invalid_idempotent_request',
  /** An Idempotency-Key is used while the first request with it is still in flight. */
  'concurrent_idempotent_requests',
  /** The request body is larger than the server accepts. */
  'payload_too_large',
  /** The request body is not JSON. */
  'unsupported_media_type',
  /** A field is missing, unknown or invalid; the message names it. */
  'validation_error',
  /** A submitted message is malformed: several From headers, NUL characters. */
  'invalid_message',
  /** The organization already holds as many API keys as it may. */
  'api_key_limit_reached',
  /** The organization's plan rate was exceeded. */
  'rate_limit_exceeded',
  /** Too many requests in flight at once from one client address. */
  'concurrency_limit_exceeded',
  /** Too many failed authentications from one client address. */
  'too_many_auth_failures',
  /** A dependency (the database) is unreachable; retry later. */
  'service_unavailable',
  /** An unexpected fault; it is logged with the request id. */
  'internal_server_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Readonly<Record<string, unknown>>;

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

/** A 422 naming the field, the most common error of all. */
export function validationError(field: string, message: string): AppError {
  return new AppError('validation_error', `${field}: ${message}`, { field });
}

export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}
