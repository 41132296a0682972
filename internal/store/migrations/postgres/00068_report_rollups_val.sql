-- +goose Up
-- One value's buckets (an agent's, an organization's) over a span of days:
-- the primary key orders a metric's days before its values, so such a
-- question read every value's rows of each day and kept one in hundreds (an
-- agent's month at a million tickets: 600 ms). Covering, so the sums are
-- read from the index alone.
CREATE INDEX report_rollups_day_val ON report_rollups_day(dim, val, metric, hour, team_id, bin, n, total);

-- +goose Down
DROP INDEX report_rollups_day_val;
