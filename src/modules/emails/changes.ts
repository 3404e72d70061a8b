import type { Db } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import type { SecretBox } from '../accounts/secret-box.js';
import type { Wakeup } from '../queue/wakeup.js';

// Changing an accepted email (issue 24): reschedule, cancel, and its attachments with signed,
// expiring download links. Placeholder until built.

export type EmailChangeDeps = Readonly<{ db: Db; clock: Clock; queue: Wakeup; box: SecretBox; publicUrl: string }>;

export type EmailChangeService = Readonly<Record<string, never>>;

export function createEmailChangeService(_deps: EmailChangeDeps): EmailChangeService {
  return {};
}
