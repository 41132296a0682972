package automation

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sahayak/sahayak/internal/desk"
	"github.com/sahayak/sahayak/internal/ticket"
)

// Template is a reply, note or notification text with {{ variables }}. It
// is our own small renderer rather than text/template: a template names
// data from a fixed list and can do nothing else — no method calls, no
// functions, no walking into other values — so what an admin saves cannot
// reach outside the ticket and agent it is rendered for. Rendered text is
// plain; the message service escapes it into HTML.
type Template struct {
	parts []part
}

type part struct {
	text     string
	variable string
}

// Variables lists what a template may name (custom fields as
// ticket.custom_fields.KEY).
var Variables = []string{"ticket.id", "ticket.subject", "ticket.status", "ticket.priority", "ticket.type",
	"ticket.channel", "ticket.requester.name", "ticket.requester.email", "agent.name"}

// ParseTemplate checks a template against the schema's custom fields.
func ParseTemplate(s string, schema Schema) (Template, desk.Msg) {
	var t Template
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if strings.Contains(s, "}}") {
				return Template{}, desk.M("automation.template_unopened")
			}
			t.parts = append(t.parts, part{text: s})
			return t, desk.Msg{}
		}
		if strings.Contains(s[:i], "}}") {
			return Template{}, desk.M("automation.template_unopened")
		}
		t.parts = append(t.parts, part{text: s[:i]})
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return Template{}, desk.M("automation.template_unclosed")
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		if !knownVariable(name, schema) {
			return Template{}, desk.M("automation.template_unknown", name)
		}
		t.parts = append(t.parts, part{variable: name})
		s = s[i+j+2:]
	}
}

func knownVariable(name string, schema Schema) bool {
	for _, v := range Variables {
		if v == name {
			return true
		}
	}
	key, ok := strings.CutPrefix(name, "ticket.custom_fields.")
	if !ok {
		return false
	}
	for _, f := range schema.Fields {
		if f.Key == key {
			return true
		}
	}
	return false
}

// Data is what a template is rendered with.
type Data struct {
	Ticket *ticket.Ticket
	Agent  desk.Actor // the agent applying a macro; the system for rules
}

// Render fills the variables in.
func (t Template) Render(d Data) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.variable == "" {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(lookup(p.variable, d))
	}
	return b.String()
}

func lookup(name string, d Data) string {
	tk := d.Ticket
	switch name {
	case "ticket.id":
		return strconv.FormatInt(tk.ID, 10)
	case "ticket.subject":
		return tk.Subject
	case "ticket.status":
		return tk.Status
	case "ticket.priority":
		return tk.Priority
	case "ticket.type":
		return tk.Type
	case "ticket.channel":
		return tk.Channel
	case "ticket.requester.name":
		return tk.Requester.Name
	case "ticket.requester.email":
		return tk.Requester.Email
	case "agent.name":
		return d.Agent.Name
	}
	if key, ok := strings.CutPrefix(name, "ticket.custom_fields."); ok {
		if v, ok := tk.CustomFields[key]; ok && v != nil {
			return fmt.Sprint(v)
		}
	}
	return ""
}
