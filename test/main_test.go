package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	nlab "github.com/netlab-dev/netlab/netlab"
	// The test binary is re-executed as a lab supervisor when tests use
	// the Go API: the node side takes it over before TestMain.
	_ "github.com/netlab-dev/netlab/nsproc/node"
)

// netlabBin is the netlab binary under test, built once by TestMain.
var netlabBin string

// repoRoot is the repository's top directory (labs/ lives there).
var repoRoot string

const reaperEnv = "NETLAB_TEST_REAPED"

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 && os.Getenv(reaperEnv) == "" {
		os.Exit(reapWhileRunning())
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))
	code := 1
	if os.Geteuid() == 0 {
		dir, err := os.MkdirTemp("", "netlab-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// Readable by all: the security test runs it as another user.
		os.Chmod(dir, 0o755)
		netlabBin = filepath.Join(dir, "netlab")
		build := exec.Command("go", "build", "-o", dir, "./cmd/netlab")
		build.Dir = repoRoot
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build netlab: %v\n", err)
			os.Exit(1)
		}
		code = m.Run()
		os.RemoveAll(dir)
	} else {
		code = m.Run()
	}
	os.Exit(code)
}

// reapWhileRunning runs the tests in a child and reaps every orphan that
// lands here meanwhile. A lab's supervisor outlives the `netlab up` that
// started it; when the machine's PID 1 does not reap (as in some sandboxes)
// it would stay a zombie after down, and the leak checks could not tell it
// from a real leak. As a child subreaper, this process is where such
// orphans go instead.
func reapWhileRunning() int {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "set child subreaper: %v\n", err)
		return 1
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Env = append(os.Environ(), reaperEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "start tests: %v\n", err)
		return 1
	}
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 1
		}
		if pid == cmd.Process.Pid {
			if ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ws.ExitStatus()
		}
	}
}

// thisMachine is the machine as this process's netlab sees it, for the Go
// API.
var thisMachine = sync.OnceValue(nlab.ThisMachine)

// stateRoot is where this process's netlab keeps its labs' state.
func stateRoot() string { return thisMachine().StateRoot }

// ownLabRefs name labs of this process's own, for the Go API.
func ownLabRefs(names ...string) []nlab.LabRef {
	refs := make([]nlab.LabRef, len(names))
	for i, n := range names {
		refs[i] = nlab.LabRef{Machine: thisMachine(), Name: n}
	}
	return refs
}

// netnsDir is where root's netlab registers nodes' netns for iproute2.
func netnsDir() string { return thisMachine().NetnsDir }

// needRoot skips a test that needs root, or fails it when CI is set.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("this test needs root, and CI is set: run the suite as root")
	}
	t.Skip("needs root (run as root; in CI this fails instead)")
}

// needCommand skips a test whose tool is missing, or fails it when CI is
// set: .ci/run installs every tool the suite uses.
func needCommand(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed, and CI is set: .ci/run must install it", name)
	}
	t.Skipf("%s is not installed", name)
}
