package web_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/report"
	"github.com/sahayak/sahayak/internal/store/storetest"
)

func TestReportKPIsAPI(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, d *testDesk) {
		front, spec := id(d.Teams[1].ID), id(d.Teams[2].ID)
		d.mustCreateTicket("ravi", map[string]any{"team_id": d.Teams[1].ID, "assignee_id": d.Agents["ravi"].ID,
			"channel": "email", "priority": "high"})
		d.mustCreateTicket("lena", map[string]any{"team_id": d.Teams[1].ID, "tags": []string{"billing"}})
		d.mustCreateTicket("meera", map[string]any{"team_id": d.Teams[2].ID, "assignee_id": d.Agents["meera"].ID})
		storetest.CatchUpWith(t, d.DB, report.Consumer, d.Reports.CatchUp)
		day := time.Now().UTC().Format(time.DateOnly)
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		kpis := "/api/v1/reports/kpis?from=" + day + "&to=" + tomorrow
		far := url.QueryEscape("9999-01-01T00:00:00Z")
		d.run([]scenario{
			{name: "a supervisor sees every ticket", method: "GET", path: kpis, as: "sunil", wantStatus: 200,
				want: []check{{"kpis.created", 3}, {"kpis.backlog", 3}, {"kpis.fcr_rate", nil}, {"groups.#", 0}}},
			{name: "grouped by team", method: "GET", path: kpis + "&group_by=team", as: "ada", wantStatus: 200,
				want: []check{{"groups.#", 2}, {"groups.0.key", front}, {"groups.0.kpis.created", 2}, {"groups.1.key", spec},
					{"kpis.created", 3}}},
			{name: "grouped by tag, the whole is not the sum", method: "GET", path: kpis + "&group_by=tag", as: "ada",
				wantStatus: 200, want: []check{{"groups.#", 1}, {"groups.0.key", "billing"}, {"kpis.created", 3},
					{"groups.0.kpis.backlog_age", nil}}},
			{name: "a team lead sees their team", method: "GET", path: kpis, as: "lena", wantStatus: 200,
				want: []check{{"kpis.created", 2}}},
			{name: "a team lead may not ask for another team", method: "GET", path: kpis + "&team_id=" + spec, as: "lena",
				wantStatus: 403, wantCode: "forbidden"},
			{name: "an agent sees their own figures", method: "GET", path: kpis, as: "ravi", wantStatus: 200,
				want: []check{{"kpis.created", 1}}},
			{name: "an agent may not ask for a colleague", method: "GET", path: kpis + "&agent_id=" + id(d.Agents["meera"].ID),
				as: "ravi", wantStatus: 403, wantCode: "forbidden"},
			{name: "a channel filter", method: "GET", path: kpis + "&channel=email", as: "sunil", wantStatus: 200,
				want: []check{{"kpis.created", 1}}},
			{name: "an inverted range", method: "GET", path: "/api/v1/reports/kpis?from=" + tomorrow + "&to=" + day, as: "sunil",
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.to", "must come after from"}}},
			{name: "the year 9999", method: "GET", path: "/api/v1/reports/kpis?to=" + far, as: "sunil",
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.to", "must be a time between 2000-01-01 and one year from now"}}},
			{name: "not a time", method: "GET", path: "/api/v1/reports/kpis?from=yesterday", as: "sunil",
				wantStatus: 400, wantCode: "invalid"},
			{name: "an unknown dimension", method: "GET", path: kpis + "&group_by=planet", as: "sunil",
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.group_by",
					"is not a dimension; use team, agent, channel, priority, type, tag or organization"}}},
			{name: "an unknown parameter", method: "GET", path: kpis + "&colour=red", as: "sunil",
				wantStatus: 400, wantCode: "invalid"},
			{name: "a filter beside another grouping", method: "GET", path: kpis + "&group_by=agent&channel=email", as: "sunil",
				wantStatus: 400, wantCode: "invalid"},
			{name: "two filters", method: "GET", path: kpis + "&channel=email&priority=high", as: "sunil",
				wantStatus: 400, wantCode: "invalid", want: []check{{"error.fields.filter", "allows one filter besides team_id"}}},
			{name: "without credentials", method: "GET", path: kpis, wantStatus: 401, wantCode: "unauthorized"},
		})
	})
}
