package main

import (
	"errors"
	"fmt"
	"github.com/netlab-dev/netlab/test/golden"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the netlab command: testscript
// copies it as "netlab" into a directory on the scripts' PATH, and runs
// main when it is started under that name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"netlab": main})
}

// TestScripts runs testdata/script/*.txtar. Besides testscript's own
// commands they have
//
//	exits CODE PROG [ARG...]
//
// which runs PROG like exec and checks that it exits with CODE, the
// condition [root] (the test runs as root: netlab may touch this
// machine's labs), and $LABS, the absolute path of the repository's labs/.
func TestScripts(t *testing.T) {
	labs, err := filepath.Abs(filepath.Join("..", "..", "labs"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Setup: func(e *testscript.Env) error {
			e.Setenv("LABS", labs)
			return nil
		},
		Dir:                 "testdata/script",
		UpdateScripts:       *golden.Update,
		RequireExplicitExec: true,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"exits": cmdExits},
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
