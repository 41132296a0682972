-- +goose Up
-- Daily buckets beside the hourly ones (package report): a KPI question
-- over whole days reads one row per day instead of 24, and the rows of
-- team -1 hold every team together, so a desk-wide question does not sum
-- each team's rows either. Kept by the same consumer, in the same
-- transaction, as report_rollups; hour is the start of the UTC day.
CREATE TABLE report_rollups_day (
    dim TEXT NOT NULL,
    metric TEXT NOT NULL,
    hour BIGINT NOT NULL,
    val TEXT NOT NULL,
    team_id BIGINT NOT NULL,
    bin INTEGER NOT NULL,
    n BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (dim, metric, hour, val, team_id, bin)
);

-- Buckets counted before this migration.
INSERT INTO report_rollups_day (dim, metric, hour, val, team_id, bin, n, total)
    SELECT dim, metric, hour - hour % 86400000000, val, team_id, bin, SUM(n), SUM(total) FROM report_rollups
    GROUP BY dim, metric, hour - hour % 86400000000, val, team_id, bin;
INSERT INTO report_rollups_day (dim, metric, hour, val, team_id, bin, n, total)
    SELECT dim, metric, hour - hour % 86400000000, val, -1, bin, SUM(n), SUM(total) FROM report_rollups
    GROUP BY dim, metric, hour - hour % 86400000000, val, bin;

-- +goose Down
DROP TABLE report_rollups_day;
