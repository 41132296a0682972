package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/load"
	"github.com/sahayak/sahayak/internal/store"
)

// urlList is a flag given once per server.
type urlList []string

func (l *urlList) String() string     { return strings.Join(*l, ",") }
func (l *urlList) Set(s string) error { *l = append(*l, s); return nil }

// loadCommand drives running servers: sahayak load --url U [--url U2 ...]
// --token T --scenario read|list|create|healthz [--clients 50]
// [--duration 10s]. Several URLs are nodes of one desk; the clients are
// spread over them.
func loadCommand(ctx context.Context, args []string, stdout io.Writer) error {
	var urls urlList
	var token, scenario string
	var clients int
	var duration time.Duration
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.Var(&urls, "url", "a server (http://host:port; repeat for several nodes; default http://127.0.0.1:8080)")
	fs.StringVar(&token, "token", "", "an API token")
	fs.StringVar(&scenario, "scenario", "read", "read, list, create or healthz")
	var team int64
	fs.Int64Var(&team, "team", 0, "create: open the tickets in this team (0: none, so every agent may see them)")
	fs.IntVar(&clients, "clients", 50, "concurrent keep-alive connections")
	fs.DurationVar(&duration, "duration", 10*time.Second, "how long to run")
	var check bool
	var db app.Config
	fs.BoolVar(&check, "check-events", false, "read the events table as a durable consumer during the run "+
		"(--database-url or --data) and check each create's event is read exactly once")
	commonFlags(fs, &db)
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(urls) == 0 {
		urls = urlList{"http://127.0.0.1:8080"}
	}
	url := urls[0]
	cfg := load.Config{URLs: urls, Token: token, Clients: clients, Duration: duration, Want: http.StatusOK}
	switch scenario {
	case "healthz":
		cfg.Next = func(int64) load.Request { return load.Request{Method: "GET", Path: "/healthz"} }
	case "list":
		cfg.Next = func(int64) load.Request { return load.Request{Method: "GET", Path: "/api/v1/tickets?limit=25"} }
	case "read":
		first, last, err := ticketRange(ctx, url, token)
		if err != nil {
			return err
		}
		n := last - first + 1
		cfg.Next = func(i int64) load.Request {
			return load.Request{Method: "GET", Path: fmt.Sprintf("/api/v1/tickets/%d", first+(i*7919)%n)}
		}
	case "create":
		cfg.Want = http.StatusCreated
		stamp := time.Now().UnixNano()
		teamID := "null"
		if team != 0 {
			teamID = strconv.FormatInt(team, 10)
		}
		cfg.Next = func(i int64) load.Request {
			return load.Request{Method: "POST", Path: "/api/v1/tickets", Body: fmt.Appendf(nil,
				`{"subject":"Payment failed %d","body":"UPI payment failed but money was debited.",`+
					`"requester":{"email":"load%d-%d@customers.example","name":"Load Customer"},"tags":["billing"],"priority":"high","team_id":%s}`,
				i, stamp, i%5000, teamID)}
		}
	default:
		return fmt.Errorf("load: unknown scenario %q", scenario)
	}
	var events *eventCheck
	if check {
		var err error
		if events, err = startEventCheck(ctx, store.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir}); err != nil {
			return err
		}
	}
	res, err := load.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", scenario, res)
	if res.Requests == 0 {
		return fmt.Errorf("load: no request succeeded")
	}
	if events != nil {
		summary, err := events.finish(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, summary)
		// A failed request may still have committed its ticket.
		if events.dups > 0 || (scenario == "create" && (events.created < res.Requests ||
			(res.Errors == 0 && events.created != res.Requests))) {
			return fmt.Errorf("load: events read do not match the %d tickets created", res.Requests)
		}
	}
	return nil
}

// ticketRange asks the server for its lowest and highest ticket ids.
func ticketRange(ctx context.Context, url, token string) (first, last int64, err error) {
	one := func(sort string) (int64, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/tickets?limit=1&sort="+sort, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, fmt.Errorf("load: %w", err)
		}
		defer res.Body.Close()
		var page struct {
			Tickets []struct {
				ID int64 `json:"id"`
			} `json:"tickets"`
		}
		if res.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("load: listing tickets: status %d", res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(&page); err != nil || len(page.Tickets) == 0 {
			return 0, fmt.Errorf("load: the server has no tickets to read")
		}
		return page.Tickets[0].ID, nil
	}
	if first, err = one("oldest"); err != nil {
		return 0, 0, err
	}
	last, err = one("created")
	return first, last, err
}
