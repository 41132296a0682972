// Command streams holds live-update streams open against a Sahayak server,
// as that many browser tabs would, for measuring what they cost the server
// (docs/PERFORMANCE.md). It reads and discards what the streams deliver,
// and prints how many streams it held and how many events they received.
//
//	go run ./scripts/streams --url http://127.0.0.1:8080 --tokens tokens.txt --streams 1000 --duration 60s
//
// tokens.txt holds one API token a line; the streams are spread over them
// (a server allows 8 streams per agent). All streams come from one address:
// run the server with --max-conns-per-client above their number (or -1). Loopback only: it refuses any
// other host.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "server address (loopback)")
	tokenFile := flag.String("tokens", "", "file of API tokens, one a line")
	n := flag.Int("streams", 1000, "streams to hold open (at most 10,000)")
	duration := flag.Duration("duration", time.Minute, "how long to hold them (at most an hour)")
	flag.Parse()
	if err := run(*base, *tokenFile, *n, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "streams:", err)
		os.Exit(1)
	}
}

func run(base, tokenFile string, n int, duration time.Duration) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return fmt.Errorf("%s is not a loopback address", u.Host)
	}
	if n < 1 || n > 10000 || duration <= 0 || duration > time.Hour {
		return fmt.Errorf("want 1-10,000 streams for at most an hour")
	}
	raw, err := os.ReadFile(tokenFile)
	if err != nil {
		return err
	}
	tokens := strings.Fields(string(raw))
	if len(tokens) == 0 {
		return fmt.Errorf("no tokens in %s", tokenFile)
	}
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}}
	var open, refused, events atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(base, "/")+"/events", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Authorization", "Bearer "+tokens[i%len(tokens)])
		res, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("stream %d: %w", i+1, err)
		}
		if res.StatusCode != http.StatusOK {
			res.Body.Close()
			refused.Add(1)
			continue
		}
		open.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if bytes.HasPrefix(sc.Bytes(), []byte("event: ")) {
					events.Add(1)
				}
			}
		}()
	}
	fmt.Printf("streams: %d open, %d refused; holding them for %s\n", open.Load(), refused.Load(), duration)
	<-ctx.Done()
	wg.Wait()
	fmt.Printf("streams: %d events received in all\n", events.Load())
	return nil
}
