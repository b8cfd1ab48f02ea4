package netlab

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCheckLabName(t *testing.T) {
	good := []string{"a", "0", "triangle", "lab-1", "a-b-c", "1abc", "a--b",
		strings.Repeat("a", 32), "a" + strings.Repeat("-", 30) + "b"}
	bad := []string{"", "-", "-a", "a-", "A", "Lab", "a_b", "a.b", "a b", "a/b", "..", ".", "../x",
		"a\x00", "é", strings.Repeat("a", 33), "state.json", "a\n"}
	for _, name := range good {
		if err := checkLabName(name); err != nil {
			t.Errorf("checkLabName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range bad {
		err := checkLabName(name)
		if err == nil {
			t.Errorf("checkLabName(%q) = nil, want an error", name)
			continue
		}
		if !errors.Is(err, ErrBadName) {
			t.Errorf("checkLabName(%q) = %v, does not wrap ErrBadName", name, err)
		}
	}
}

func TestEnv(t *testing.T) {
	path := "PATH=" + DefaultPath
	tests := []struct {
		name  string
		term  string // "" unsets TERM
		extra []string
		want  []string
	}{
		{"clean", "", nil, []string{"HOME=/root", path}},
		{"TERM passes through", "xterm-256color", nil, []string{"HOME=/root", path, "TERM=xterm-256color"}},
		{"extra added", "", []string{"FOO=bar", "A=1"}, []string{"A=1", "FOO=bar", "HOME=/root", path}},
		{"extra overrides", "xterm", []string{"PATH=/bin", "HOME=/tmp", "TERM=dumb"},
			[]string{"HOME=/tmp", "PATH=/bin", "TERM=dumb"}},
		{"last of a key wins", "", []string{"X=1", "X=2"}, []string{"HOME=/root", path, "X=2"}},
		{"value with =", "", []string{"OPTS=a=b=c"}, []string{"HOME=/root", "OPTS=a=b=c", path}},
		{"empty value", "", []string{"E="}, []string{"E=", "HOME=/root", path}},
		// A key without '=' becomes an empty variable (not the caller's value).
		{"key alone", "", []string{"K"}, []string{"HOME=/root", "K=", path}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TERM", tt.term)
			// Nothing else of this process's environment leaks in.
			t.Setenv("NETLAB_TEST_LEAK", "1")
			t.Setenv("HOME", "/home/someone")
			got := Env(tt.extra)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Env(%q) = %q, want %q", tt.extra, got, tt.want)
			}
		})
	}
}
