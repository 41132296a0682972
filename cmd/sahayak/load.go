package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sahayak/sahayak/internal/load"
)

// loadCommand drives a running server: sahayak load --url U --token T
// --scenario read|list|create|healthz [--clients 50] [--duration 10s].
func loadCommand(ctx context.Context, args []string, stdout io.Writer) error {
	var url, token, scenario string
	var clients int
	var duration time.Duration
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.StringVar(&url, "url", "http://127.0.0.1:8080", "the server")
	fs.StringVar(&token, "token", "", "an API token")
	fs.StringVar(&scenario, "scenario", "read", "read, list, create or healthz")
	fs.IntVar(&clients, "clients", 50, "concurrent keep-alive connections")
	fs.DurationVar(&duration, "duration", 10*time.Second, "how long to run")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg := load.Config{URL: url, Token: token, Clients: clients, Duration: duration, Want: http.StatusOK}
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
		cfg.Next = func(i int64) load.Request {
			return load.Request{Method: "POST", Path: "/api/v1/tickets", Body: fmt.Appendf(nil,
				`{"subject":"Payment failed %d","body":"UPI payment failed but money was debited.",`+
					`"requester":{"email":"load%d-%d@customers.example","name":"Load Customer"},"tags":["billing"],"priority":"high"}`,
				i, stamp, i%5000)}
		}
	default:
		return fmt.Errorf("load: unknown scenario %q", scenario)
	}
	res, err := load.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", scenario, res)
	if res.Requests == 0 {
		return fmt.Errorf("load: no request succeeded")
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
