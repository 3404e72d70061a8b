import { ApiError } from '../api/client.ts';

export type SplitErrors<F extends string> = { fields: Partial<Record<F, string>>; form: string | undefined };

/**
 * Puts an API error next to the field it names (`allowed_ips[1]: ...` goes under Allowed IPs),
 * or at the form level when it names none of the form's fields.
 */
export function splitError<F extends string>(error: unknown, fields: readonly F[], aliases: Record<string, F> = {}): SplitErrors<F> {
  if (!(error instanceof ApiError)) return { fields: {}, form: String(error) };
  const named = error.topLevelField;
  const field = named === undefined ? undefined : (aliases[named] ?? (fields as readonly string[]).find((f) => f === named));
  if (field) return { fields: { [field]: error.message } as Partial<Record<F, string>>, form: undefined };
  return { fields: {}, form: error.message };
}
