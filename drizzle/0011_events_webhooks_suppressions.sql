CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"project_id" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"project_id" text NOT NULL,
	"email" text NOT NULL,
	"origin" text NOT NULL,
	"source_id" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL,
	"http_status_code" integer,
	"response" text NOT NULL,
	"duration_ms" integer NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"webhook_id" text NOT NULL,
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"base_attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"project_id" text NOT NULL,
	"endpoint" text NOT NULL,
	"events" text[] NOT NULL,
	"status" text DEFAULT 'enabled' NOT NULL,
	"disabled_reason" text,
	"secret_box" text NOT NULL,
	"previous_secret_box" text,
	"previous_secret_until" timestamp with time zone,
	"failing_since" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "open_tracking" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "click_tracking" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "tls" text DEFAULT 'opportunistic' NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppressions" ADD CONSTRAINT "suppressions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppressions" ADD CONSTRAINT "suppressions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_org_idx" ON "events" USING btree ("organization_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "suppressions_project_email_idx" ON "suppressions" USING btree ("project_id","email");--> statement-breakpoint
CREATE INDEX "suppressions_org_idx" ON "suppressions" USING btree ("organization_id","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" USING btree ("delivery_id","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_idx" ON "webhook_deliveries" USING btree ("webhook_id","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("webhook_id","next_attempt_at") WHERE "webhook_deliveries"."status" in ('pending', 'attempting');--> statement-breakpoint
CREATE INDEX "webhooks_org_idx" ON "webhooks" USING btree ("organization_id","id");--> statement-breakpoint
-- An id of lib/ids.ts's shape made by the database (deliveries and email events are made by
-- triggers): 10 base32 characters of the time in ms, then 16 random hex characters (hex is a
-- subset of the base32 alphabet, so the id passes the same shape check).
CREATE FUNCTION postgate_new_id(prefix text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  alphabet constant text := '0123456789abcdefghjkmnpqrstvwxyz';
  t bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);
  stamp text := '';
BEGIN
  FOR i IN 1..10 LOOP
    stamp := substr(alphabet, (t % 32)::int + 1, 1) || stamp;
    t := t / 32;
  END LOOP;
  RETURN prefix || '_' || stamp || left(replace(gen_random_uuid()::text, '-', ''), 16);
END $$;
--> statement-breakpoint
CREATE FUNCTION postgate_iso(at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
--> statement-breakpoint
-- Fan-out: every stored event queues one delivery per enabled webhook of its project subscribed
-- to its type, in the transaction that stored the event.
CREATE FUNCTION postgate_fan_out_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
  SELECT postgate_new_id('msg'), w.id, n.id, n.type, 'pending', 0, now(), n.created_at, now()
  FROM new_events n
  JOIN webhooks w ON w.organization_id = n.organization_id AND w.project_id = n.project_id
  WHERE w.status = 'enabled' AND n.type = ANY (w.events);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER events_fan_out AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION postgate_fan_out_events();
--> statement-breakpoint
-- An email's history (email_events, written by acceptance and by delivery) becomes webhook events
-- in Resend's shape, for the events some enabled webhook of the project wants: one statement per
-- statement that recorded history, whatever it was. `queued` is Resend's email.sent (accepted,
-- delivery will be attempted) or, for a scheduled email, email.scheduled, whose email.sent comes
-- at its hand-off to the relay (`sent`); Postgate's own mail (`system`: invitations) and test-mode
-- mail never leave as events.
CREATE FUNCTION postgate_email_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO events (id, organization_id, project_id, type, payload, created_at)
  SELECT postgate_new_id('evt'), x.organization_id, x.project_id, x.type,
    jsonb_build_object('type', x.type, 'created_at', postgate_iso(x.at), 'data', x.data), x.at
  FROM (
    SELECT e.organization_id, e.project_id, i.created_at AS at, i.id AS seq,
      CASE WHEN i.type = 'queued' THEN (CASE WHEN e.scheduled_at IS NULL THEN 'email.sent' ELSE 'email.scheduled' END)
        WHEN i.type = 'sent' THEN 'email.sent'
        ELSE 'email.' || i.type END AS type,
      jsonb_build_object(
        'email_id', e.id, 'created_at', postgate_iso(e.created_at), 'from', e.from_address,
        'to', to_jsonb(e.to_addresses), 'subject', e.subject, 'message_id', e.message_id,
        'tags', (SELECT coalesce(jsonb_object_agg(t ->> 'name', t ->> 'value'), '{}'::jsonb) FROM jsonb_array_elements(e.tags) t))
      || CASE i.type
        WHEN 'bounced' THEN jsonb_build_object('bounce', jsonb_build_object('message', coalesce(i.detail, ''), 'type', 'Permanent', 'subType', 'General'))
        WHEN 'failed' THEN jsonb_build_object('failed', jsonb_build_object('reason', coalesce(i.detail, '')))
        WHEN 'suppressed' THEN jsonb_build_object('suppressed', jsonb_build_object('message', coalesce(i.detail, ''), 'type', 'OnAccountSuppressionList'))
        -- A click's detail is the JSON of Resend's click object (ipAddress, link, timestamp, userAgent).
        WHEN 'clicked' THEN jsonb_build_object('click', i.detail::jsonb)
        ELSE '{}'::jsonb END AS data
    FROM new_email_events i
    JOIN emails e ON e.id = i.email_id
    -- Test-mode mail is captured, never delivered: it tells no live endpoint anything.
    WHERE e.source <> 'system' AND e.mode = 'live' AND (i.type <> 'sent' OR e.scheduled_at IS NOT NULL)
  ) x
  WHERE EXISTS (
    SELECT 1 FROM webhooks w
    WHERE w.organization_id = x.organization_id AND w.project_id = x.project_id AND w.status = 'enabled' AND x.type = ANY (w.events))
  ORDER BY x.seq;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER email_events_to_events AFTER INSERT ON email_events REFERENCING NEW TABLE AS new_email_events
  FOR EACH STATEMENT EXECUTE FUNCTION postgate_email_events();
--> statement-breakpoint
-- Suppression events come from the table itself, whoever adds or removes an address (the API, a
-- bounce recorded by the delivery worker, a complaint): Resend's SuppressionEventData.
CREATE FUNCTION postgate_suppression_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO events (id, organization_id, project_id, type, payload, created_at)
    SELECT postgate_new_id('evt'), s.organization_id, s.project_id, 'suppression.added',
      jsonb_build_object('type', 'suppression.added', 'created_at', postgate_iso(s.created_at), 'data', jsonb_build_object(
        'id', s.id, 'email', s.email, 'origin', s.origin, 'source_id', s.source_id, 'created_at', postgate_iso(s.created_at))),
      s.created_at
    FROM changed_suppressions s ORDER BY s.id;
  ELSE
    INSERT INTO events (id, organization_id, project_id, type, payload, created_at)
    SELECT postgate_new_id('evt'), s.organization_id, s.project_id, 'suppression.removed',
      jsonb_build_object('type', 'suppression.removed', 'created_at', postgate_iso(now()), 'data', jsonb_build_object(
        'id', s.id, 'email', s.email, 'origin', s.origin, 'source_id', s.source_id, 'created_at', postgate_iso(s.created_at))),
      now()
    FROM changed_suppressions s
    -- A project being deleted takes its suppressions with it: no events for a project that is gone.
    WHERE EXISTS (SELECT 1 FROM projects p WHERE p.id = s.project_id)
    ORDER BY s.id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER suppressions_added AFTER INSERT ON suppressions REFERENCING NEW TABLE AS changed_suppressions
  FOR EACH STATEMENT EXECUTE FUNCTION postgate_suppression_events();
--> statement-breakpoint
CREATE TRIGGER suppressions_removed AFTER DELETE ON suppressions REFERENCING OLD TABLE AS changed_suppressions
  FOR EACH STATEMENT EXECUTE FUNCTION postgate_suppression_events();
