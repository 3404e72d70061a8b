// Shapes of the dashboard API's answers (the same objects the public API returns).

export type List<T> = { object: 'list'; has_more: boolean; data: T[] };

export type Session = {
  object: 'session';
  setup_required: boolean;
  user: { id: string; email: string } | null;
  organization: { id: string; name: string; plan: string } | null;
  csrf_token: string;
  expires_at: string | null;
};

export type Permission = 'full_access' | 'sending_access' | 'custom';

export type ApiKey = {
  object: 'api_key';
  id: string;
  name: string;
  permission: Permission;
  scopes: string[];
  domain_ids: string[];
  allowed_ips: string[];
  mode: 'live' | 'test';
  redacted_token: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  previous_token_expires_at: string | null;
};

export type ApiKeyWithToken = ApiKey & { token: string };

export type KeyUsage = {
  object: 'api_key_usage';
  id: string;
  days: { date: string; total: number; routes: { route: string; status: number; count: number }[] }[];
  recent_ips: { ip: string; last_seen_at: string }[];
};

export type DomainStatus = 'not_started' | 'pending' | 'verified' | 'failed';

export type DomainSummary = { object: 'domain'; id: string; name: string; status: DomainStatus; created_at: string };

export type DomainRecord = {
  record: 'Ownership' | 'DKIM' | 'SPF';
  name: string;
  type: 'TXT';
  ttl: 'Auto';
  value: string;
  status: DomainStatus;
  required: boolean;
};

export type Domain = DomainSummary & { records: DomainRecord[]; last_checked_at: string | null };

export type EmailStatus = 'queued' | 'scheduled' | 'sent' | 'delivered' | 'delivery_delayed' | 'bounced' | 'failed';

export type EmailSummary = {
  object: 'email';
  id: string;
  from: string;
  to: string[];
  cc: string[] | null;
  bcc: string[] | null;
  reply_to: string[] | null;
  subject: string;
  created_at: string;
  scheduled_at: string | null;
  last_event: EmailStatus;
  message_id: string;
};

export type EmailEvent = { type: Exclude<EmailStatus, 'scheduled'>; created_at: string; detail: string | null };

export type EmailDetail = EmailSummary & {
  html: string | null;
  text: string | null;
  tags: { name: string; value: string }[];
  events: EmailEvent[];
};
