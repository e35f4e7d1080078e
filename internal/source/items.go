package source

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// Item is one item of an Items snapshot: its last good value and when it was
// fetched, and, when the latest refresh could not fetch it, why.
type Item[V any] struct {
	Value V         `json:"value"`
	At    time.Time `json:"at"` // when Value was fetched; zero: never
	// Reason is the bounded reason the latest attempt at this item failed,
	// "" when Value is from the latest refresh. The engine fills it in.
	Reason string `json:"reason,omitempty"`
	// Err is the latest attempt's error, for logs; not persisted.
	Err error `json:"-"`
}

// Has reports whether the item has a value, fresh or carried over.
func (it Item[V]) Has() bool { return !it.At.IsZero() }

// Items is a snapshot made of independent items keyed by name (buckets,
// endpoints, accounts), for partial results. A fetch fills in every item it
// tried, with Set or Fail, and returns a nil error. The engine then merges
// the result with the previous snapshot: a fresh item is stamped with the
// refresh time (unless the fetch set At itself); a failed item keeps its
// previous Value and At and gets its Reason; an item missing from the result
// is gone. Each failed item counts once in vigil_source_errors_total by its
// reason and the source stays up, unless every item failed: that refresh
// fails as a whole and the previous snapshot stays.
//
// A failed item is one the fetch could not learn about. A target the fetch
// reached and found down is a successful item whose value says so.
type Items[V any] map[string]Item[V]

// Set records a fresh value for the named item.
func (m Items[V]) Set(name string, v V) { m[name] = Item[V]{Value: v} }

// Fail records that the named item could not be fetched.
func (m Items[V]) Fail(name string, err error) {
	if err == nil {
		err = errors.New("item failed")
	}
	m[name] = Item[V]{Err: err}
}

// Names returns the item names in order.
func (m Items[V]) Names() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

type itemFailure struct {
	name, reason string
	err          error
}

// merger is implemented by Items: a fetched value the engine merges with the
// previous snapshot.
type merger[T any] interface {
	mergeWith(prev T, now time.Time) (merged T, failed []itemFailure, all bool)
}

func (m Items[V]) mergeWith(prev Items[V], now time.Time) (Items[V], []itemFailure, bool) {
	out := make(Items[V], len(m))
	var failed []itemFailure
	for name, it := range m {
		if it.Err == nil {
			if it.At.IsZero() {
				it.At = now
			}
			it.Reason = ""
			out[name] = it
			continue
		}
		reason := Classify(it.Err)
		p := prev[name]
		out[name] = Item[V]{Value: p.Value, At: p.At, Reason: reason, Err: it.Err}
		failed = append(failed, itemFailure{name: name, reason: reason, err: it.Err})
	}
	slices.SortFunc(failed, func(a, b itemFailure) int { return strings.Compare(a.name, b.name) })
	return out, failed, len(m) > 0 && len(failed) == len(m)
}
