import { AppError, type ErrorCode } from '../lib/errors.js';

/** SMTP reply code and enhanced status of every error code (docs/errors.md, SMTP column). */
export const SMTP_REPLY = {
  invalid_json: [501, '5.5.2'],
  invalid_header: [501, '5.5.2'],
  bad_request: [501, '5.5.2'],
  invalid_url: [501, '5.5.2'],
  missing_api_key: [530, '5.7.0'],
  invalid_api_key: [535, '5.7.8'],
  session_required: [530, '5.7.0'],
  invalid_credentials: [535, '5.7.8'],
  csrf_rejected: [550, '5.7.1'],
  insufficient_scope: [550, '5.7.1'],
  privilege_escalation: [550, '5.7.1'],
  ip_not_allowed: [550, '5.7.1'],
  domain_not_allowed: [550, '5.7.1'],
  domain_not_verified: [550, '5.7.1'],
  not_found: [550, '5.1.1'],
  method_not_allowed: [502, '5.5.1'],
  conflict: [451, '4.3.0'],
  invalid_idempotent_request: [554, '5.5.0'],
  concurrent_idempotent_requests: [451, '4.3.0'],
  payload_too_large: [552, '5.3.4'],
  unsupported_media_type: [554, '5.6.0'],
  validation_error: [501, '5.5.4'],
  invalid_message: [554, '5.6.0'],
  api_key_limit_reached: [550, '5.7.1'],
  rate_limit_exceeded: [451, '4.7.0'],
  concurrency_limit_exceeded: [421, '4.7.0'],
  too_many_auth_failures: [421, '4.7.0'],
  service_unavailable: [451, '4.3.0'],
  internal_server_error: [451, '4.3.0'],
} as const satisfies Record<ErrorCode, readonly [number, string]>;

export type SmtpError = Error & { responseCode: number };

/** An error smtp-server sends as `<code> <enhanced> <message>` (see the send patch in server.ts). */
export function smtpError(code: ErrorCode, message: string): SmtpError {
  const [reply, enhanced] = SMTP_REPLY[code];
  return protocolError(reply, enhanced, message);
}

/** A protocol-level reply with no catalogue code (too many recipients, bare line endings). */
export function protocolError(reply: number, enhanced: string, message: string): SmtpError {
  const err = new Error(`${enhanced} ${message}`) as SmtpError;
  err.responseCode = reply;
  return err;
}

/** Maps anything a service threw; unexpected faults become a temporary 451 (the client retries). */
export function toSmtpError(error: unknown): SmtpError {
  if (error instanceof AppError) return smtpError(error.code, error.message);
  if (error instanceof Error && typeof (error as Partial<SmtpError>).responseCode === 'number') return error as SmtpError;
  return smtpError('internal_server_error', 'Temporary local error; try again later');
}

/** The one reply for a wrong username or a wrong key, so the two cannot be told apart. */
export const BAD_CREDENTIALS = 'Authentication credentials invalid';
