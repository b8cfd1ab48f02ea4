package nsproc

import (
	"os"

	"golang.org/x/sys/unix"
)

// setProcessName sets what ps and top show as the command. A binary
// re-executed through /proc/self/exe would otherwise read "exe". Writing
// /proc/self/comm names the main thread, which is what they show, whichever
// thread this goroutine runs on.
func setProcessName(name string) {
	os.WriteFile("/proc/self/comm", []byte(name), 0)
}

// quietStdio points stdin, stdout and stderr at /dev/null. The supervisor
// and the inits do it once they reported ready, the agents before they
// serve anything: their stdio is the lab's log, a file on the host, and
// node root can make its agent write anything (it may ptrace it).
func quietStdio() {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer null.Close()
	for fd := 0; fd <= 2; fd++ {
		unix.Dup2(int(null.Fd()), fd)
	}
}
