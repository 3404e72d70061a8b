-- Usage rows of keys deleted before these tables had foreign keys: removed, so the keys below hold.
DELETE FROM "api_key_usage" u WHERE NOT EXISTS (SELECT 1 FROM "api_keys" k WHERE k."id" = u."key_id");--> statement-breakpoint
DELETE FROM "api_key_client_ips" c WHERE NOT EXISTS (SELECT 1 FROM "api_keys" k WHERE k."id" = c."key_id");--> statement-breakpoint
ALTER TABLE "api_key_client_ips" ADD CONSTRAINT "api_key_client_ips_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_key_usage" ADD CONSTRAINT "api_key_usage_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Drawn by the database, no longer by the schema module (the signing key has no default at all).
ALTER TABLE "domains" ALTER COLUMN "verification_token" SET DEFAULT replace(gen_random_uuid()::text, '-', '');--> statement-breakpoint
ALTER TABLE "domains" ALTER COLUMN "dkim_selector" SET DEFAULT 'postgate-' || left(replace(gen_random_uuid()::text, '-', ''), 10);
