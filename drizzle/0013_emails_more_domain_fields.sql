ALTER TABLE "domains" ADD COLUMN "region" text DEFAULT 'us-east-1' NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "receiving" text DEFAULT 'disabled' NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "custom_return_path" text DEFAULT 'send' NOT NULL;--> statement-breakpoint
ALTER TABLE "domains" ADD COLUMN "tracking_subdomain" text;--> statement-breakpoint
ALTER TABLE "emails" ADD COLUMN "template_id" text;--> statement-breakpoint
ALTER TABLE "emails" ADD COLUMN "template_variables" jsonb;--> statement-breakpoint
ALTER TABLE "emails" ADD COLUMN "topic_id" text;