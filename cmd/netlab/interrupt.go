package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// stopCause is why a command stopped before it was done, in words, with
// the exit code that says so: 128+N for signal N (130 for Ctrl-C), 124
// when its --timeout ran out, as timeout(1) does.
type stopCause struct {
	code int
	what string // "interrupted (Ctrl-C)", "timed out after 30s (--timeout)"
}

func (c *stopCause) Error() string { return c.what }

// signalNames are the signals a command obeys, as people know them.
var signalNames = map[os.Signal]string{
	os.Interrupt:    "interrupted (Ctrl-C, SIGINT)",
	syscall.SIGTERM: "terminated (SIGTERM)",
	syscall.SIGHUP:  "hung up (SIGHUP)",
}

// stoppable is parent, ended with a stopCause by SIGINT, SIGTERM or
// SIGHUP, or by timeout when it is positive. Call stop when done.
func stoppable(parent context.Context, timeout time.Duration) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	var timer <-chan time.Time
	if timeout > 0 {
		timer = time.After(timeout)
	}
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancel(&stopCause{code: 128 + int(sig.(syscall.Signal)), what: signalNames[sig]})
		case <-timer:
			cancel(&stopCause{code: 124, what: fmt.Sprintf("timed out after %v (--timeout)", timeout)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// stopped is what verb ends with when ctx was stopped: its cause, in
// words, with its exit code, and what the verb leaves behind; err
// otherwise. Nothing a stopped command failed at afterwards ("context
// canceled") is worth reading.
func stopped(ctx context.Context, verb, after string, err error) error {
	c, ok := context.Cause(ctx).(*stopCause)
	if !ok {
		return err
	}
	msg := verb + " " + c.what
	if after != "" {
		msg += ": " + after
	}
	return &exitError{code: c.code, msg: msg}
}
