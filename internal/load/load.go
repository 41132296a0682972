// Package load is Sahayak's own load generator: many keep-alive HTTP/1.1
// connections, each sending ready-made requests and reading the answers with
// a minimal parser. It spends far less CPU per request than net/http's
// client, so that on a small machine the server, not the load, is measured.
package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one request to send: method, path and an optional JSON body.
type Request struct {
	Method, Path string
	Body         []byte
}

// Config describes a run.
type Config struct {
	// URLs are the servers (http://host:port), nodes of one desk: clients
	// are spread over them in turn.
	URLs     []string
	Token    string // API token (Bearer)
	Clients  int
	Duration time.Duration
	// Next returns the n-th request (n counts from 0 across all clients).
	Next func(n int64) Request
	// Want is the expected status of every answer.
	Want int
}

// Result sums up a run.
type Result struct {
	Requests  int64
	Errors    int64
	Elapsed   time.Duration
	P50, P99  time.Duration
	FirstFail string
}

// PerSecond is the throughput of successful requests.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r Result) String() string {
	s := fmt.Sprintf("%d requests in %s: %.0f req/s, p50 %s, p99 %s, %d errors", r.Requests, r.Elapsed.Round(time.Millisecond),
		r.PerSecond(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Errors)
	if r.FirstFail != "" {
		s += " (first: " + r.FirstFail + ")"
	}
	return s
}

// Run drives the server until the duration ends or ctx is cancelled.
func Run(ctx context.Context, cfg Config) (Result, error) {
	var hosts []string
	for _, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return Result{}, fmt.Errorf("load: the URL must be http://host:port, got %q", raw)
		}
		hosts = append(hosts, u.Host)
	}
	if len(hosts) == 0 || cfg.Clients <= 0 || cfg.Duration <= 0 || cfg.Next == nil {
		return Result{}, errors.New("load: a URL, clients, duration and requests are required")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		mu        sync.Mutex
		res       Result
		latencies []time.Duration
		counter   int64
		wg        sync.WaitGroup
	)
	next := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		counter++
		return counter - 1
	}
	start := time.Now()
	for i := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, failed, lat, first := client(ctx, hosts[i%len(hosts)], cfg, next)
			mu.Lock()
			res.Requests += ok
			res.Errors += failed
			latencies = append(latencies, lat...)
			if res.FirstFail == "" {
				res.FirstFail = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		res.P50, res.P99 = latencies[n/2], latencies[n*99/100]
	}
	return res, nil
}

// client runs one keep-alive connection until ctx ends.
func client(ctx context.Context, host string, cfg Config, next func() int64) (ok, failed int64, lat []time.Duration, first string) {
	fail := func(msg string) {
		failed++
		if first == "" {
			first = msg
		}
	}
	var conn net.Conn
	var rd *bufio.Reader
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	var buf []byte
	for ctx.Err() == nil {
		if conn == nil {
			c, err := net.Dial("tcp", host)
			if err != nil {
				fail(err.Error())
				time.Sleep(10 * time.Millisecond)
				continue
			}
			conn, rd = c, bufio.NewReaderSize(c, 64<<10)
		}
		r := cfg.Next(next())
		buf = appendRequest(buf[:0], host, cfg.Token, r)
		t0 := time.Now()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write(buf); err != nil {
			fail(err.Error())
			conn.Close()
			conn = nil
			continue
		}
		status, err := readResponse(rd)
		if err != nil {
			if ctx.Err() == nil {
				fail(err.Error())
			}
			conn.Close()
			conn = nil
			continue
		}
		lat = append(lat, time.Since(t0))
		if status != cfg.Want {
			fail(fmt.Sprintf("%s %s: status %d", r.Method, r.Path, status))
			continue
		}
		ok++
	}
	return ok, failed, lat, first
}

func appendRequest(b []byte, host, token string, r Request) []byte {
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.Path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nAuthorization: Bearer "...)
	b = append(b, token...)
	b = append(b, "\r\nAccept: application/json\r\n"...)
	if r.Body != nil {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(r.Body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, r.Body...)
}

// readResponse reads one response with a Content-Length body (what the
// server sends for JSON) and returns its status.
func readResponse(rd *bufio.Reader) (int, error) {
	line, err := rd.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 {
		return 0, fmt.Errorf("short status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, chunked := -1, false
	for {
		h, err := rd.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		switch {
		case len(h) > 16 && strings.EqualFold(string(h[:15]), "content-length:"):
			if length, err = strconv.Atoi(strings.TrimSpace(string(h[15:]))); err != nil {
				return 0, fmt.Errorf("bad content length %q", h)
			}
		case len(h) > 18 && strings.EqualFold(string(h[:18]), "transfer-encoding:"):
			chunked = strings.Contains(strings.ToLower(string(h[18:])), "chunked")
		}
	}
	if chunked {
		return status, discardChunks(rd)
	}
	if length < 0 {
		return 0, errors.New("response without a length")
	}
	_, err = rd.Discard(length)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return status, err
}

// discardChunks skips a chunked body (larger JSON answers come this way).
func discardChunks(rd *bufio.Reader) error {
	for {
		line, err := rd.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(string(line), ";", 2)[0]), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			// Trailers end with an empty line.
			for {
				t, err := rd.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(t) <= 2 {
					return nil
				}
			}
		}
		if _, err := rd.Discard(int(size) + 2); err != nil {
			return err
		}
	}
}
