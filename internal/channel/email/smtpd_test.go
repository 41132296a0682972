package email_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/sahayak/sahayak/internal/store/storetest"
	"github.com/sahayak/sahayak/internal/ticket"
)

// A real SMTP client delivers to the built-in receiver: mail for a
// mailbox (and its plus-addresses) is accepted and on a ticket when the
// server says 250; other recipients get 550, oversize mail 552.
func TestSMTPReceiver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		t.Parallel()
		d := newDesk(t, b)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r := d.mail.NewReceiver("test")
		go r.Serve(ln)
		t.Cleanup(func() { r.Shutdown(context.Background()) })
		addr := ln.Addr().String()

		send := func(from string, to []string, msg string) error {
			c, err := smtp.Dial(addr) // loopback: no STARTTLS
			if err != nil {
				return err
			}
			defer c.Close()
			if err := c.SendMail(from, to, strings.NewReader(msg)); err != nil {
				return err
			}
			return c.Quit()
		}
		msg := inboundFixture(t, "hindi_utf8_qp.eml")
		if err := send("ravi@example.in", []string{"support@acme.test"}, msg); err != nil {
			t.Fatalf("deliver: %v", err)
		}
		if err := send("ravi@example.in", []string{"Support+T55@Acme.test"}, msg); err != nil {
			t.Fatalf("deliver to a plus-address (a retry of the same message): %v", err)
		}
		var se *smtp.SMTPError
		if err := send("x@example.com", []string{"nobody@acme.test"}, msg); !errors.As(err, &se) || se.Code != 550 {
			t.Fatalf("unknown recipient: %v, want 550", err)
		}
		big := fmt.Sprintf("From: a@example.com\r\nSubject: big\r\n\r\n%s\r\n", strings.Repeat("0123456789\r\n", 500000))
		if err := send("a@example.com", []string{"support@acme.test"}, big); !errors.As(err, &se) || se.Code != 552 {
			t.Fatalf("oversize: %v, want 552", err)
		}
		page, err := d.tickets.List(system(), ticket.Filter{Limit: 10})
		if err != nil || len(page.Tickets) != 1 || page.Tickets[0].Subject != "मेरा ऑर्डर नहीं पहुँचा" {
			t.Fatalf("tickets after delivery: %+v %v", page, err)
		}
	})
}
