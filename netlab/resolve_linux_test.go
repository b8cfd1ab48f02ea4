package netlab

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/netlab-dev/netlab/nsproc"
)

func TestDidYouMean(t *testing.T) {
	for _, tt := range []struct {
		name  string
		among []string
		want  string
	}{
		{"R1", []string{"r1", "r2", "r3"}, "; did you mean r1?"},
		{"trangle", []string{"lan", "triangle"}, "; did you mean triangle?"},
		{"r9", []string{"r1", "r2"}, ""}, // one letter in two is no misspelling
		{"ospf", []string{"bgp", "lan"}, ""},
		{"r1", []string{"r1"}, ""}, // itself is no suggestion
		{"x", []string{"y"}, ""},   // a one-letter name is nobody's misspelling
		{"services", nil, ""},
		{"WWW", []string{"www", "dns"}, "; did you mean www?"},
	} {
		if got := DidYouMean(tt.name, tt.among); got != tt.want {
			t.Errorf("DidYouMean(%q, %q) = %q, want %q", tt.name, tt.among, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"kitten", "sitting", 3}, {"triangle", "trangle", 1}, {"r1", "r2", 1}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestExecRefusesNUL: a NUL byte in what a command would be sent is
// refused before anything is asked of a lab or a node, saying where.
func TestExecRefusesNUL(t *testing.T) {
	lab := ThisMachine().openedLab("no-such-lab", nil)
	for _, tt := range []struct {
		cmd  nsproc.Command
		want string
	}{
		{nsproc.Command{Argv: []string{"echo", "a\x00b"}}, "argument 2 of the command holds a NUL byte"},
		{nsproc.Command{Argv: []string{"env"}, Env: []string{"K=v\x00w"}}, `environment variable "K" holds a NUL byte`},
		{nsproc.Command{Argv: []string{"ls"}, Dir: "/tmp\x00"}, "the working directory holds a NUL byte"},
	} {
		_, err := lab.Exec(context.Background(), "r1", tt.cmd, nil)
		if !errors.Is(err, ErrBadCommand) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Exec(%q): %v; want %q", tt.cmd.Argv, err, tt.want)
		}
	}
	if _, err := lab.Exec(context.Background(), "r1", nsproc.Command{Argv: []string{"true"}}, nil); errors.Is(err, ErrBadCommand) {
		t.Errorf("a command without NUL refused: %v", err)
	}
}
