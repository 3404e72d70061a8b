import { z } from 'zod';

// Resend's Log shapes (the `resend` SDK's resend.logs.list / get), plus what Postgate knows of each
// request beyond them: the key, the client address and the duration. Request and response bodies
// are never stored, so they are always null.

export const logSummary = z.object({
  object: z.literal('log'),
  id: z.string(),
  created_at: z.string(),
  endpoint: z.string(),
  method: z.string(),
  response_status: z.number().int(),
  user_agent: z.string().nullable(),
  api_key_id: z.string().nullable(),
  ip: z.string().nullable(),
  duration_ms: z.number().int(),
});
export type LogSummary = z.infer<typeof logSummary>;

export const logObject = logSummary.extend({
  request_body: z.null(),
  response_body: z.null(),
});
export type LogObject = z.infer<typeof logObject>;

export const logList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(logSummary) });

export const logIdParams = z.strictObject({ id: z.string().min(1).max(64) });
