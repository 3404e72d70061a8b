import { z } from 'zod';

export const projectObject = z.object({
  object: z.literal('project'),
  id: z.string(),
  name: z.string(),
  default: z.boolean(),
  created_at: z.string(),
});
export const projectList = z.object({ object: z.literal('list'), has_more: z.boolean(), data: z.array(projectObject) });
export const projectIdParams = z.strictObject({ id: z.string().min(1).max(64) });
export const projectBody = z.strictObject({ name: z.string().min(1).max(100) });
export const deletedProject = z.object({ object: z.literal('project'), id: z.string(), deleted: z.literal(true) });
