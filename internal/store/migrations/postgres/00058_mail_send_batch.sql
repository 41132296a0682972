-- +goose Up
-- The batch an outgoing reply is sent by: one job hands over every queued
-- mail of its batch (the id of the batch's first mail), so the job queue's
-- own cost is paid once per batch, not per mail. A mail is put in exactly
-- one batch when it is queued, so two jobs never hold the same mail. NULL
-- for mail sent by a job of its own (the desk's own mail, and replies
-- queued before this).
ALTER TABLE mail_outbound ADD COLUMN batch BIGINT;
CREATE INDEX mail_outbound_batch ON mail_outbound(batch) WHERE batch IS NOT NULL;

-- +goose Down
DROP INDEX mail_outbound_batch;
ALTER TABLE mail_outbound DROP COLUMN batch;
