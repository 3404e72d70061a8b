-- The request log keeps one index, (organization_id, id), and no foreign key: see schema.ts.
ALTER TABLE "request_logs" DROP CONSTRAINT "request_logs_organization_id_organizations_id_fk";--> statement-breakpoint
DROP INDEX "request_logs_org_idx";--> statement-breakpoint
DROP INDEX "request_logs_time_idx";--> statement-breakpoint
ALTER TABLE "request_logs" DROP CONSTRAINT "request_logs_pkey";--> statement-breakpoint
ALTER TABLE "request_logs" ADD CONSTRAINT "request_logs_organization_id_id_pk" PRIMARY KEY("organization_id","id");
