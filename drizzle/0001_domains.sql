ALTER TABLE "domains" ADD COLUMN "verification_token" text NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "dkim_selector" text NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "dkim_private_key" text NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "ownership_status" text DEFAULT 'not_started' NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "dkim_status" text DEFAULT 'not_started' NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "spf_status" text DEFAULT 'not_started' NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "last_checked_at" timestamp with time zone;