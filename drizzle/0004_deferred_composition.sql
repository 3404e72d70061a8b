ALTER TABLE "email_messages" ALTER COLUMN "raw" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "email_messages" ADD COLUMN "composition" jsonb;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_content" CHECK (("email_messages"."raw" is null) <> ("email_messages"."composition" is null));