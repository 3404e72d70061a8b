// Shapes of the suppressions API (the `resend` SDK's suppressions; src/modules/suppressions/schemas.ts).

export type SuppressionOrigin = 'bounce' | 'complaint' | 'manual';

/** A list entry: Resend's SuppressionListEntry, with the email that caused it. */
export type Suppression = {
  id: string;
  email: string;
  origin: SuppressionOrigin;
  /** The email whose bounce or complaint added it; null when added by hand. */
  source_id: string | null;
  created_at: string;
};

export type AddedSuppression = { object: 'suppression'; id: string };

export const ORIGINS: readonly { value: SuppressionOrigin; label: string; tone: string }[] = [
  { value: 'bounce', label: 'Bounce', tone: 'red' },
  { value: 'complaint', label: 'Complaint', tone: 'amber' },
  { value: 'manual', label: 'Manual', tone: 'grey' },
];
