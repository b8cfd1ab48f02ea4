package events

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestText: an event's line has its time, where, kind and details sorted,
// quoted where they hold a space or are empty.
func TestText(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	ev := Event{Time: at, Lab: "ospf", Node: "r1", Interface: "eth1", Kind: "link-set",
		Details: map[string]string{"state": "down", "link": "r1:eth1 - r2:eth1", "why": ""}}
	want := `2026-01-02T03:04:05.006Z ospf/r1:eth1 link-set link="r1:eth1 - r2:eth1" state=down why=""`
	if got := ev.Text(); got != want {
		t.Errorf("Text:\n%s\nwant:\n%s", got, want)
	}
}

// TestLogFollow: Follow sends what Log appends after it started, skips
// lines that are no event, and ends when the log is removed.
func TestLogFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	if err := Log(path, Event{Lab: "l", Kind: "before"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make(chan Event, 8)
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, path, out) }()
	time.Sleep(2 * followPoll) // Follow is at the log's end
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("not json\n")
	f.Close()
	if err := Log(path, Event{Lab: "l", Node: "r1", Kind: "stop"}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-out:
		if ev.Kind != "stop" || ev.Node != "r1" || ev.Time.IsZero() {
			t.Errorf("followed %+v, want r1's stop with its time", ev)
		}
	case <-ctx.Done():
		t.Fatal("Follow sent nothing")
	}
	if err := Log(path, Event{Lab: "l", Kind: strings.Repeat("x", maxLine)}); err == nil {
		t.Error("Log took an event longer than a line")
	}
	os.Remove(path)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Follow of a removed log: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Follow goes on after its log was removed")
	}
}
