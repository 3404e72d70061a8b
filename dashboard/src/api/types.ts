// Shapes of the dashboard API's answers (the same objects the public API returns).

export type List<T> = { object: 'list'; has_more: boolean; data: T[] };

export type Session = {
  object: 'session';
  setup_required: boolean;
  user: { id: string; email: string; role: Role; two_factor_enabled: boolean } | null;
  organization: { id: string; name: string; plan: string } | null;
  /** The project the dashboard shows; switched with POST /session/project. */
  project_id?: string | null;
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
  /** Unused for 90 days. */
  stale?: boolean;
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
  record: 'Verification' | 'DKIM' | 'SPF' | 'Receiving';
  name: string;
  type: 'TXT' | 'MX';
  ttl: 'Auto';
  value: string;
  status: DomainStatus;
  required: boolean;
  /** MX records only. */
  priority?: number;
};

export type Domain = DomainSummary & {
  records: DomainRecord[];
  last_checked_at: string | null;
  region: string;
  capabilities: { sending: 'enabled'; receiving: 'enabled' | 'disabled' };
};

export type EmailStatus = 'queued' | 'scheduled' | 'sent' | 'delivered' | 'delivery_delayed' | 'bounced' | 'failed' | 'suppressed' | 'canceled';

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
  /** The template the email was sent with (optional: servers before templates leave them out). */
  template_id?: string | null;
  template_variables?: Record<string, unknown> | null;
};

// Templates (routes/templates.ts): the content is the draft's; sending uses the published version.

export type TemplateStatus = 'draft' | 'published';

export type TemplateSummary = {
  id: string;
  name: string;
  alias: string | null;
  status: TemplateStatus;
  published_at: string | null;
  created_at: string;
  updated_at: string;
  /** Only on a single template's read (and not in lists, as in Resend). */
  has_unpublished_versions?: boolean;
};

export type TemplateVariableType = 'string' | 'number';

export type TemplateVariable = { key: string; type: TemplateVariableType; fallback_value: string | number | null };

export type Template = TemplateSummary & {
  object: 'template';
  current_version_id: string;
  has_unpublished_versions: boolean;
  subject: string | null;
  html: string;
  text: string | null;
  from: string | null;
  reply_to: string[] | null;
  variables: TemplateVariable[] | null;
};

export type TemplateRef = { id: string; object: 'template' };

/** POST /templates/{id}/render: the draft with the values given (and fallbacks). */
export type RenderedTemplate = { subject: string | null; html: string; text: string | null };

/** GET /emails/metrics (the resend SDK's shape): counts of the emails accepted in the range. */
export type MetricName = 'received' | 'sent' | 'delivered' | 'bounced' | 'failed' | 'delivery_delayed' | 'delivery_rate' | 'bounce_rate';
export type MetricValues = Partial<Record<MetricName, number>>;
export type MetricsRow = MetricValues & {
  period?: string;
  domain_id?: string | null;
  domain_name?: string | null;
  api_key_id?: string | null;
  api_key_name?: string | null;
  status?: string;
};
export type EmailMetrics = {
  object: 'metrics';
  start_date: string;
  end_date: string;
  dimensions: string[];
  granularity: 'hourly' | 'daily' | 'weekly' | 'monthly';
  totals: MetricValues;
  data?: MetricsRow[];
};

/** GET /audit-logs: one change, made through any interface. */
export type AuditEvent = {
  object: 'audit_event';
  id: string;
  occurred_at: string;
  project_id: string | null;
  actor: { type: 'user' | 'api_key' | 'cli' | 'system'; id: string | null; name: string | null };
  action: string;
  targets: { type: string; id: string; name: string | null }[];
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
};

export type Project = { object: 'project'; id: string; name: string; default: boolean; created_at: string };

// Team and account (routes/dashboard/team.ts, account.ts).

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export type Member = { object: 'member'; id: string; email: string; role: Role; two_factor_enabled: boolean; created_at: string };

export type Invitation = {
  object: 'invitation';
  id: string;
  email: string;
  role: Role;
  status: 'pending' | 'expired';
  invited_by: string | null;
  expires_at: string;
  created_at: string;
};

/** The answer to an invitation: the link, shown this once. */
export type CreatedInvitation = Invitation & { invite_url: string; emailed: boolean };

export type SessionSummary = {
  object: 'session_summary';
  id: string;
  created_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
};

export type TwoFactorChallenge = { object: 'two_factor_challenge'; challenge: string; expires_at: string };
export type TwoFactorEnrollment = { object: 'two_factor_enrollment'; secret: string; otpauth_uri: string };
export type TwoFactorState = { object: 'two_factor'; enabled: boolean; recovery_codes?: string[]; recovery_codes_left?: number };
