-- The delivery queue is the emails table (src/modules/queue/leased-table.ts). An email being sent
-- keeps the lease an earlier version gave it, now held in next_attempt_at: if that version's
-- worker is gone, the email is due again when its lease runs out. Every queued email is due at
-- its next_attempt_at already, so the jobs earlier versions left in pg-boss (which only named
-- emails) are not needed to deliver anything, and are not moved. pg-boss's schema is left in
-- place: instances of the earlier version may still use it during a rolling upgrade; once none
-- runs, `DROP SCHEMA pgboss CASCADE` removes it.
UPDATE "emails" SET "next_attempt_at" = coalesce("locked_until", now()), "locked_until" = NULL WHERE "status" = 'sending';--> statement-breakpoint
CREATE INDEX "emails_due_idx" ON "emails" USING btree ("next_attempt_at") WHERE "emails"."status" in ('queued', 'sending');
