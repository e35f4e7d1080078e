package daemon

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"k8s.io/klog/v2"
)

// client-go logs through klog, whose logger is process-wide and may only be
// set while nothing logs through it (klog.SetSlogLogger writes its globals
// without a lock). A process that builds a second daemon, as the tests do,
// still has client-go goroutines of the first one logging. So klog is set
// once, to a handler that forwards each line to the logger of the newest
// daemon (klogTarget), which can change at any time.
var (
	klogOnce   sync.Once
	klogTarget atomic.Pointer[slog.Logger]
)

// routeKlog sends client-go's klog lines to logger from now on, with
// component=client-go, so they get Vigil's format and level and go through
// the same review for secrets.
func routeKlog(logger *slog.Logger) {
	klogTarget.Store(logger.With("component", "client-go"))
	klogOnce.Do(func() { klog.SetSlogLogger(slog.New(klogHandler{})) })
}

// klogHandler forwards to klogTarget's handler, with the attributes and
// groups klog added through WithAttrs and WithGroup applied on the way.
type klogHandler struct {
	with []func(slog.Handler) slog.Handler
}

func (h klogHandler) target() slog.Handler {
	l := klogTarget.Load()
	if l == nil {
		return slog.DiscardHandler
	}
	t := l.Handler()
	for _, w := range h.with {
		t = w(t)
	}
	return t
}

func (h klogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.target().Enabled(ctx, level)
}

func (h klogHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.target().Handle(ctx, r)
}

func (h klogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.and(func(t slog.Handler) slog.Handler { return t.WithAttrs(attrs) })
}

func (h klogHandler) WithGroup(name string) slog.Handler {
	return h.and(func(t slog.Handler) slog.Handler { return t.WithGroup(name) })
}

func (h klogHandler) and(w func(slog.Handler) slog.Handler) klogHandler {
	return klogHandler{with: append(append([]func(slog.Handler) slog.Handler{}, h.with...), w)}
}
