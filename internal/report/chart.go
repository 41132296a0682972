package report

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// Charts are SVG drawn on the server: readable without script, printable,
// in any language (labels come translated), and every bar or point links to
// the tickets behind it.

// Bar is one labelled group of values (one per series), with where it
// leads.
type Bar struct {
	Label  string
	Values []float64
	Href   string
}

// chartSize is the drawing's coordinate system; CSS scales it to the page.
const (
	chartW, chartH = 640.0, 260.0
	padL, padR     = 48.0, 12.0
	padT, padB     = 28.0, 44.0
)

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// frame starts an SVG with its title, axis and grid for values up to top.
func frame(b *strings.Builder, title string, top float64) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(b, `<title>%s</title>`, html.EscapeString(title))
	for i := 0; i <= 4; i++ {
		y := padT + (chartH-padT-padB)*float64(4-i)/4
		fmt.Fprintf(b, `<line class="grid" x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f"/>`, padL, y, chartW-padR, y)
		fmt.Fprintf(b, `<text class="tick" x="%.0f" y="%.1f" text-anchor="end">%s</text>`, padL-6, y+4, num(top*float64(i)/4))
	}
}

// legend draws the series' names above the plot.
func legend(b *strings.Builder, series []string) {
	x := padL
	for i, s := range series {
		fmt.Fprintf(b, `<rect class="s%d" x="%.0f" y="8" width="10" height="10"/><text class="legend" x="%.0f" y="17">%s</text>`,
			i, x, x+14, html.EscapeString(s))
		x += 24 + 7*float64(len([]rune(s)))
	}
}

// begin draws the frame and legend for the values and returns the top of
// the scale.
func begin(b *strings.Builder, title string, series []string, bars []Bar) float64 {
	top := 0.0
	for _, bar := range bars {
		for _, v := range bar.Values {
			top = math.Max(top, v)
		}
	}
	top = niceMax(top)
	frame(b, title, top)
	legend(b, series)
	return top
}

// BarSVG draws grouped bars: one group per bar, one bar per series.
func BarSVG(title string, series []string, bars []Bar) string {
	var b strings.Builder
	top := begin(&b, title, series, bars)
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	if len(bars) > 0 {
		slot := plotW / float64(len(bars))
		w := math.Max(1, slot*0.8/float64(max(len(series), 1)))
		for i, bar := range bars {
			x0 := padL + slot*float64(i) + slot*0.1
			if bar.Href != "" {
				fmt.Fprintf(&b, `<a href="%s">`, html.EscapeString(bar.Href))
			}
			for j, v := range bar.Values {
				h := plotH * v / top
				fmt.Fprintf(&b, `<rect class="s%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s — %s: %s</title></rect>`,
					j, x0+w*float64(j), padT+plotH-h, w, h, html.EscapeString(bar.Label), html.EscapeString(series[j]), num(v))
			}
			if bar.Href != "" {
				b.WriteString(`</a>`)
			}
			if len(bars) <= 16 {
				fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`,
					padL+slot*(float64(i)+0.5), chartH-padB+16, html.EscapeString(clip(bar.Label, 14)))
			}
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// LineSVG draws one line per series over the points (in order), each point
// a link.
func LineSVG(title string, series []string, points []Bar) string {
	var b strings.Builder
	top := begin(&b, title, series, points)
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	x := func(i int) float64 {
		if len(points) == 1 {
			return padL + plotW/2
		}
		return padL + plotW*float64(i)/float64(len(points)-1)
	}
	y := func(v float64) float64 { return padT + plotH - plotH*v/top }
	for j := range series {
		var path strings.Builder
		for i, p := range points {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x(i), y(p.Values[j]))
		}
		fmt.Fprintf(&b, `<path class="line s%d" d="%s"/>`, j, strings.TrimSpace(path.String()))
		for i, p := range points {
			if p.Href != "" {
				fmt.Fprintf(&b, `<a href="%s">`, html.EscapeString(p.Href))
			}
			fmt.Fprintf(&b, `<circle class="s%d" cx="%.1f" cy="%.1f" r="3.5"><title>%s — %s: %s</title></circle>`,
				j, x(i), y(p.Values[j]), html.EscapeString(p.Label), html.EscapeString(series[j]), num(p.Values[j]))
			if p.Href != "" {
				b.WriteString(`</a>`)
			}
		}
	}
	step := max(1, (len(points)+7)/8)
	for i := 0; i < len(points); i += step {
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`,
			x(i), chartH-padB+16, html.EscapeString(points[i].Label))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Spark draws weekly counts as small bars, the last (the week read) marked,
// and rising when the rise test flagged it; each bar links to its tickets
// (hrefs, one per value, may be empty).
func Spark(title string, values []int64, hrefs []string, rising bool) string {
	const w, h, gap = 90.0, 24.0, 2.0
	var top int64 = 1
	for _, v := range values {
		top = max(top, v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="trend-spark" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		w, h, w, h, html.EscapeString(title), html.EscapeString(title))
	bw := (w - gap*float64(len(values)-1)) / float64(max(len(values), 1))
	for i, v := range values {
		bh := math.Max(1, (h-2)*float64(v)/float64(top))
		class := "s0"
		if i == len(values)-1 {
			class = "s1"
			if rising {
				class = "rise"
			}
		}
		rect := fmt.Sprintf(`<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%d</title></rect>`,
			class, float64(i)*(bw+gap), h-bh, bw, bh, v)
		if i < len(hrefs) && hrefs[i] != "" {
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(hrefs[i]), rect)
		} else {
			b.WriteString(rect)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// TrendSVG draws the created-and-solved line of a series (from Series) as
// the reports page and the digests show it; drill gives each step's link
// (its start and end), "" for none.
func TrendSVG(title, created, solved string, series []Point, drill func(from, to time.Time) string) string {
	points := make([]Bar, 0, len(series))
	for _, p := range series {
		step, label := 24*time.Hour, p.At.Format("01-02")
		if len(series) > 1 && series[1].At.Sub(series[0].At) == time.Hour {
			step, label = time.Hour, p.At.Format("15:04")
		}
		b := Bar{Label: label, Values: []float64{float64(p.Values[MCreated]), float64(p.Values[MSolved])}}
		if drill != nil {
			b.Href = drill(p.At, p.At.Add(step))
		}
		points = append(points, b)
	}
	return LineSVG(title, []string{created, solved}, points)
}
