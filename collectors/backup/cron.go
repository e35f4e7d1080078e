package backup

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// cronFrom is where the longest gap of a schedule is searched from. Fixed,
// not now: the same cron always gives the same interval (and the same
// series value) whenever it is parsed.
var cronFrom = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// maxActivations bounds the search: enough for a minutely cron to cover
// days, while a yearly window covers every month's and weekday's gap.
const maxActivations = 2000

// cronInterval is the expected interval of a Velero schedule: the longest
// gap between two runs of its cron expression, parsed as Velero parses it
// (robfig/cron's ParseStandard: five fields, descriptors such as @daily,
// `@every 6h`, CRON_TZ=). The longest gap, not the first: a weekday-only
// cron waits three days over a weekend, and the alert must not fire then.
func cronInterval(spec string) (time.Duration, error) {
	if spec == "" {
		return 0, errors.New("the schedule is empty")
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return 0, fmt.Errorf("cron expression %q: %w", spec, err)
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return every.Delay, nil
	}
	end := cronFrom.AddDate(1, 0, 0)
	var longest time.Duration
	prev := sched.Next(cronFrom)
	for i := 0; i < maxActivations && !prev.IsZero(); i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(prev))
		if next.After(end) {
			break
		}
		prev = next
	}
	if longest == 0 {
		return 0, fmt.Errorf("cron expression %q never runs twice", spec)
	}
	return longest, nil
}
