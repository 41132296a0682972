package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sahayak/sahayak/internal/app"
	"github.com/sahayak/sahayak/internal/app/apptest"
)

// serveOnLoopback runs a whole Sahayak (SQLite in a temporary directory)
// on a free loopback port until the test ends.
func serveOnLoopback(t *testing.T, cfg app.Config) string {
	t.Helper()
	cfg.DataDir = t.TempDir()
	_, addr := apptest.Serve(t, cfg)
	return addr
}

// slowBody opens a connection from 127.0.0.1 and sends a POST's headers
// and the first bytes of a body that never comes.
func slowBody(addr, path string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: desk\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 100000\r\n\r\nemail=", path)
	return c, err
}

// closedWithin reports whether the server ends the connection (after any
// answer) within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

// Slow bodies from one address cannot take the server's connections: past
// the per-address cap a connection is closed at once, one that is kept must
// deliver its body in time, and /healthz keeps answering others throughout.
func TestSlowBodiesFromOneAddressCannotStarveOthers(t *testing.T) {
	const clients, perAddress = 60, 8
	addr := serveOnLoopback(t, app.Config{MaxConnsPerClient: perAddress, BodyTimeout: time.Second})

	conns := make([]net.Conn, 0, clients)
	for i := range clients {
		path := "/login"
		if i%2 == 1 {
			path = "/api/v1/tickets"
		}
		c, err := slowBody(addr, path)
		if err != nil {
			continue // refused outright: that is the cap at work too
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	// Someone else (another loopback address) is served meanwhile.
	other := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	res, err := other.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("/healthz while %d slow bodies are open: %v", len(conns), err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", res.StatusCode)
	}

	// Every slow connection is over within a bound: the ones past the cap
	// at once, the others when their body is late.
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := 0
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !closedWithin(c, 10*time.Second) {
				mu.Lock()
				open++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if open > 0 {
		t.Errorf("%d of %d slow-body connections were still open after 10 s", open, len(conns))
	}
}

// The connections one address holds never exceed the cap: the server
// closes the ones past it at once, while the first ones still wait.
func TestConnectionsPerAddressAreCapped(t *testing.T) {
	const perAddress = 8
	addr := serveOnLoopback(t, app.Config{MaxConnsPerClient: perAddress, BodyTimeout: time.Minute})
	kept := 0
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 3 * perAddress {
		c, err := slowBody(addr, "/login")
		if err != nil {
			continue
		}
		conns = append(conns, c)
		// The server closes a connection past the cap without reading it.
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := bufio.NewReader(c).ReadByte(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				kept++
			}
		}
	}
	if kept != perAddress {
		t.Fatalf("the server kept %d connections of one address, want %d", kept, perAddress)
	}
}
