// One error type and one closed catalogue of codes. Each code is one record: its HTTP status, its
// SMTP reply and when it is thrown. The edges' maps (HTTP_STATUS, SMTP_REPLY) and the table in
// docs/errors.md (`npm run docs:errors`) are derived from it, so a new code is one new record and
// cannot be forgotten anywhere.

export type ErrorRecord = {
  /** Status of the HTTP reply. */
  readonly http: number;
  /** SMTP reply code and enhanced status code (RFC 3463). */
  readonly smtp: readonly [reply: number, enhanced: string];
  /** When it is thrown: one line of Markdown, the "when" column of docs/errors.md. */
  readonly when: string;
};

export const ERROR_CATALOGUE = {
  invalid_json: { http: 400, smtp: [501, '5.5.2'], when: 'The body is not valid JSON.' },
  invalid_header: {
    http: 400,
    smtp: [501, '5.5.2'],
    when: 'A header is malformed: `Idempotency-Key` not 1 to 256 printable ASCII characters or sent more than once; `x-batch-validation` neither `strict` nor `permissive`.',
  },
  bad_request: { http: 400, smtp: [501, '5.5.2'], when: 'The request is malformed in a way no more specific code covers (over SMTP: a message with no sender).' },
  invalid_url: {
    http: 400,
    smtp: [501, '5.5.2'],
    when: 'The URL cannot be decoded: bad percent-encoding (`%ff`, `%zz`) or bytes that are not UTF-8.',
  },
  missing_api_key: {
    http: 401,
    smtp: [530, '5.7.0'],
    when: 'No `Authorization` header, or a blank one. Keys in the URL are never read.',
  },
  invalid_api_key: {
    http: 401,
    smtp: [535, '5.7.8'],
    when:
      'The key is malformed, has a bad checksum, is unknown, revoked, expired or rotated out, or the `Authorization` header holds no bearer token (another scheme, `Bearer` alone, a token with spaces). One body for all, so a caller learns nothing about which.',
  },
  session_required: {
    http: 401,
    smtp: [530, '5.7.0'],
    when: 'Dashboard routes (`/dashboard/api/...`): no valid session (none, expired or signed out). API keys are never read there, and sessions never on the API.',
  },
  invalid_credentials: { http: 401, smtp: [535, '5.7.8'], when: 'Dashboard sign-in: wrong email or password (one answer for both).' },
  invalid_metrics_token: {
    http: 401,
    smtp: [530, '5.7.0'],
    when: '`GET /metrics` with `POSTGATE_METRICS_TOKEN` set, without `Authorization: Bearer <that token>`.',
  },
  invalid_two_factor_code: {
    http: 401,
    smtp: [535, '5.7.8'],
    when: 'Dashboard two-factor sign-in or set-up: a wrong or already used TOTP code or recovery code, or a sign-in challenge that is malformed or expired (sign in with the password again).',
  },
  csrf_rejected: {
    http: 403,
    smtp: [550, '5.7.1'],
    when: "Dashboard: a state change without the session's `X-CSRF-Token`, or from another origin or site.",
  },
  insufficient_scope: {
    http: 403,
    smtp: [550, '5.7.1'],
    when: 'The key lacks the scope the route needs, or tries to grant or manage scopes it does not hold (then `field` is `scopes`), or is a test-mode key on live-only resources (webhooks, suppressions).',
  },
  privilege_escalation: {
    http: 403,
    smtp: [550, '5.7.1'],
    when:
      'A key tried to create, edit, rotate or delete a key broader than itself on some axis: `domain_ids` outside its own, `allowed_ips` outside its own ranges, `expires_at` later than its own (or none), a live key made by a test key. A key cannot lift its own restrictions. `field` names the axis and the message starts with it. A key that omits these on create inherits its own.',
  },
  insufficient_role: {
    http: 403,
    smtp: [550, '5.7.1'],
    when: "Dashboard: the member's role does not allow this (viewer: read only; developer: no member management or organization settings; admin: cannot make or remove owners; nobody raises their own role).",
  },
  ip_not_allowed: { http: 403, smtp: [550, '5.7.1'], when: "The client address is outside the key's `allowed_ips`." },
  domain_not_allowed: { http: 403, smtp: [550, '5.7.1'], when: "The sending domain is outside the key's `domain_ids`." },
  domain_not_verified: { http: 403, smtp: [550, '5.7.1'], when: 'The sending domain is not a verified domain of the organization.' },
  not_found: {
    http: 404,
    smtp: [550, '5.1.1'],
    when: 'No such route or object, or the object belongs to another organization (never 403: ids do not reveal existence).',
  },
  method_not_allowed: {
    http: 405,
    smtp: [502, '5.5.1'],
    when: 'The path exists, but not with this method (`DELETE /api-keys`); the `Allow` header lists the methods it has.',
  },
  conflict: {
    http: 409,
    smtp: [451, '4.3.0'],
    when: 'The object changed under a concurrent request (two rotations of one key at once); retry. Or its state forbids the change: a disabled webhook cannot replay or send a test event, an event cannot be replayed while it is being attempted, a project already has its 50 webhook endpoints. Dashboard setup: this Postgate is already set up.',
  },
  email_not_scheduled: {
    http: 409,
    smtp: [550, '5.5.0'],
    when: '`PATCH /emails/{id}` (reschedule) or `POST /emails/{id}/cancel` on an email that is no longer scheduled: it was sent without a schedule, its time came and delivery took it, or it was canceled.',
  },
  last_owner: {
    http: 409,
    smtp: [550, '5.7.1'],
    when: "The organization's last owner cannot leave, be removed or be demoted: make another member owner first.",
  },
  invitation_invalid: {
    http: 410,
    smtp: [550, '5.7.1'],
    when: 'The invitation link is unknown, already used, revoked or expired. Nothing was changed; ask for a new invitation.',
  },
  invalid_idempotent_request: { http: 409, smtp: [554, '5.5.0'], when: 'An `Idempotency-Key` was reused with a different payload.' },
  concurrent_idempotent_requests: { http: 409, smtp: [451, '4.3.0'], when: 'The first request with this `Idempotency-Key` is still in flight.' },
  payload_too_large: {
    http: 413,
    smtp: [552, '5.3.4'],
    when: 'The body (or message, or the total of its attachments) is larger than accepted. `field` names the part when there is one.',
  },
  unsupported_media_type: { http: 415, smtp: [554, '5.6.0'], when: 'The body is not `application/json`.' },
  validation_error: {
    http: 422,
    smtp: [501, '5.5.4'],
    when:
      "A field is missing, unknown (mass assignment is refused, never ignored) or invalid. `field` is its path (`allowed_ips[1]`, `[2].subject`, `headers.X-Ref`, `querystring.after`, `params.id`) and the message starts with it.",
  },
  invalid_message: {
    http: 422,
    smtp: [554, '5.6.0'],
    when:
      'SMTP: the submitted message is malformed: no or several `From` headers, a `From` or `Sender` header naming no valid address, a NUL character in the message or in a decoded part. Permanent: the client does not retry.',
  },
  api_key_limit_reached: {
    http: 422,
    smtp: [550, '5.7.1'],
    when: 'The organization already holds `POSTGATE_MAX_KEYS_PER_ORG` keys (15 by default).',
  },
  rate_limit_exceeded: {
    http: 429,
    smtp: [451, '4.7.0'],
    when: "The organization's plan rate was exceeded; see `Retry-After` and `ratelimit-*` headers.",
  },
  concurrency_limit_exceeded: {
    http: 429,
    smtp: [421, '4.7.0'],
    when: 'Too many requests in flight from one client address (`POSTGATE_IP_CONCURRENCY`).',
  },
  too_many_auth_failures: {
    http: 429,
    smtp: [421, '4.7.0'],
    when: 'Too many failed authentications from one client address; see `Retry-After`. Dashboard sign-in: 5 wrong passwords for one account from one address block it for 15 minutes.',
  },
  service_unavailable: { http: 503, smtp: [451, '4.3.0'], when: 'The database is unreachable, or undid the request for a concurrent one (a deadlock); retry shortly (`Retry-After`).' },
  internal_server_error: {
    http: 500,
    smtp: [451, '4.3.0'],
    when: 'An unexpected fault. It is logged with the request id quoted in the message.',
  },
} as const satisfies Record<string, ErrorRecord>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every code, in catalogue order. */
export const ERROR_CODES = Object.freeze(Object.keys(ERROR_CATALOGUE)) as readonly ErrorCode[];

/** One column of the catalogue as a map from code to value, for an edge to look up. */
export function catalogueColumn<T>(pick: (record: ErrorRecord) => T): Readonly<Record<ErrorCode, T>> {
  const column = Object.fromEntries(ERROR_CODES.map((code) => [code, pick(ERROR_CATALOGUE[code])]));
  return Object.freeze(column) as Record<ErrorCode, T>;
}

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

  /** The JSON path of the field the error is about (`to[2]`, `params.id`), when it names one. */
  get field(): string | undefined {
    const field = this.details.field;
    return typeof field === 'string' ? field : undefined;
  }
}

/** A 422 naming the field, the most common error of all. */
export function validationError(field: string, message: string): AppError {
  return new AppError('validation_error', `${field}: ${message}`, { field });
}

export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}
