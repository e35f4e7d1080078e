package source

import "time"

// SetWaitHook calls f each time a loop of g starts waiting for its next
// refresh, with the delay; f runs on the loop's goroutine, so a blocking f
// holds the loop between two refreshes. Set it before Start.
func SetWaitHook(g *Group, f func(source string, delay time.Duration)) { g.onWait = f }

// SetClock sets the clock that decides the request budget's UTC day. Set it
// before Add.
func SetClock(g *Group, now func() time.Time) { g.now = now }

// BudgetFile is the path of a source's budget ledger under dir.
func BudgetFile(dir, name string) string { return budgetFile(dir, name) }
