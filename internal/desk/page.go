package desk

import "time"

// Page asks a store for one page of a list in keyset order: the rows after
// a position, changed (or, for things that never change, made) since Since
// when it is not zero, at most Limit of them. Lists in id order start after
// AfterID; lists in name order after AfterName. A caller that asks for one
// row more than it shows learns, without counting, whether a page follows.
type Page struct {
	AfterID   int64
	AfterName string
	Since     time.Time
	Limit     int
}
