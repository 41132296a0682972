// Package report owns reporting: hourly rollups of ticket events kept by a
// durable consumer (exactly once: the buckets and the cursor move in one
// transaction), KPIs over any range and slice read from those buckets, and
// their exports. docs/METRICS.md defines every figure.
package report

import (
	"math"
	"strconv"
	"time"
)

// Dimensions a figure is bucketed by. Every bucket also carries the team.
const (
	DimAll          = "all"
	DimAgent        = "agent"
	DimChannel      = "channel"
	DimPriority     = "priority"
	DimType         = "type"
	DimTag          = "tag"
	DimOrganization = "organization"
	// DimTeam is not a bucket dimension: grouping by team reads DimAll's
	// rows by their team.
	DimTeam = "team"
)

// GroupBys are the dimensions a report may be grouped or filtered by.
var GroupBys = []string{DimTeam, DimAgent, DimChannel, DimPriority, DimType, DimTag, DimOrganization}

// Metrics, as stored in the buckets (docs/METRICS.md).
const (
	MCreated         = "created"
	MSolved          = "solved"
	MReopened        = "reopened"
	MFirstResponse   = "first_response"
	MFirstResponseBH = "first_response_bh"
	MResolution      = "resolution"
	MResolutionBH    = "resolution_bh"
	MFCR             = "fcr"
	MReplies         = "replies"
	MRepliesToSolve  = "replies_to_solve"
	MEscalated       = "escalated"
	MCSAT            = "csat"          // n: answers, total: good answers (4-5)
	MQA              = "qa"            // n: QA reviews, total: their scores in hundredths of a percent
	MSLAMet          = "sla_met_"      // + target
	MSLABreached     = "sla_breached_" // + target
)

// SLATargets are the SLA targets compliance is reported for.
var SLATargets = []string{"first_response", "next_response", "resolution"}

// Metrics lists every stored metric (a report reads them all).
func Metrics() []string {
	m := []string{MCreated, MSolved, MReopened, MFirstResponse, MFirstResponseBH, MResolution, MResolutionBH,
		MFCR, MReplies, MRepliesToSolve, MEscalated, MCSAT, MQA, MOnline, MOccupied}
	for _, t := range SLATargets {
		m = append(m, MSLAMet+t, MSLABreached+t)
	}
	return m
}

// Key names one bucket.
type Key struct {
	Dim    string
	Val    string
	Metric string
	TeamID int64
	Hour   int64 // Unix seconds of the hour's start, UTC
	Bin    int
}

// Cell is what a bucket holds: how many, and the sum of their values.
type Cell struct{ N, Total int64 }

// Rollup is a set of bucket increments, merged before they are written.
type Rollup map[Key]Cell

// Add adds one occurrence of value to the bucket.
func (r Rollup) Add(k Key, value int64) {
	c := r[k]
	c.N++
	c.Total += value
	r[k] = c
}

// AddDelta adds n occurrences and total to the bucket (a correction may
// add none and take some total away).
func (r Rollup) AddDelta(k Key, n, total int64) {
	c := r[k]
	c.N += n
	c.Total += total
	r[k] = c
}

// HourOf is the start of t's UTC hour, in Unix seconds.
func HourOf(t time.Time) int64 {
	s := t.Unix()
	return s - ((s%3600)+3600)%3600
}

// binsPerDoubling sets the histogram's resolution: a quantile is within
// 2^(1/16)-1 (4.4%) of the true value.
const binsPerDoubling = 8

// Bin is the histogram bin of a duration in seconds: 0 under one second,
// else b with 2^((b-1)/8) <= s < 2^(b/8).
func Bin(seconds int64) int {
	if seconds < 1 {
		return 0
	}
	return int(math.Floor(binsPerDoubling*math.Log2(float64(seconds)))) + 1
}

// binValue is the geometric centre of a bin, in seconds.
func binValue(b int) float64 {
	if b == 0 {
		return 0
	}
	return math.Exp2((float64(b) - 0.5) / binsPerDoubling)
}

// Histogram counts durations per bin; histograms of any buckets merge by
// addition.
type Histogram map[int]int64

// Quantile is the value below which a share q of the durations lie (the
// centre of the bin holding rank ceil(q·n)); false when there are none.
func (h Histogram) Quantile(q float64) (float64, bool) {
	var n int64
	maxBin := 0
	for b, c := range h {
		n += c
		maxBin = max(maxBin, b)
	}
	if n == 0 {
		return 0, false
	}
	rank := int64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen int64
	for b := 0; b <= maxBin; b++ {
		if seen += h[b]; seen >= rank {
			return math.Round(binValue(b)), true
		}
	}
	return math.Round(binValue(maxBin)), true
}

// id renders an id as a bucket value ("" for none).
func id(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

// durationMetric reports whether a metric's buckets are histogram bins.
func durationMetric(m string) bool {
	switch m {
	case MFirstResponse, MFirstResponseBH, MResolution, MResolutionBH:
		return true
	}
	return false
}
