-- +goose Up
-- Business-hours calendars (package sla): a zone, working periods per weekday
-- and holidays by date, both JSON read in Go.
CREATE TABLE calendars (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    hours TEXT NOT NULL DEFAULT '{}',
    holidays TEXT NOT NULL DEFAULT '[]',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A team points at one calendar (kept here rather than on teams, so that
-- package people needs to know nothing of business hours).
CREATE TABLE team_calendars (
    team_id BIGINT PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    calendar_id BIGINT NOT NULL REFERENCES calendars(id) ON DELETE CASCADE
);
CREATE INDEX team_calendars_calendar ON team_calendars(calendar_id);

-- +goose Down
DROP TABLE team_calendars;
DROP TABLE calendars;
