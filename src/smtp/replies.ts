import { AppError, catalogueColumn, type ErrorCode } from '../lib/errors.js';

/** SMTP reply code and enhanced status of every code, read from the catalogue (lib/errors.ts). */
export const SMTP_REPLY = catalogueColumn((record) => record.smtp);

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
