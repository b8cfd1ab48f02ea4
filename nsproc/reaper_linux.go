package nsproc

import (
	"errors"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// reaper is the agent's wait loop. As the node's child subreaper it
// inherits every orphan of the node's commands, so it must wait for any
// child, not only the ones it started; statuses of the ones it started go
// to whoever is waiting.
//
// It blocks in wait4 rather than waiting for SIGCHLD: an init that never
// asks for signals starts faster (no signal machinery) and costs a node
// less. When there is no child to wait for, it sleeps until start makes
// one; orphans cannot appear before that, since an orphan's ancestors
// include a child of this process.
type reaper struct {
	mu       sync.Mutex
	waiting  map[int]chan unix.WaitStatus
	children *sync.Cond // signalled by start: there is a child to wait for
	started  int        // children started; guarded by mu
}

func newReaper() *reaper {
	r := &reaper{waiting: map[int]chan unix.WaitStatus{}}
	r.children = sync.NewCond(&r.mu)
	go r.loop()
	return r
}

func (r *reaper) loop() {
	seen := 0
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ECHILD):
			r.mu.Lock()
			for r.started == seen {
				r.children.Wait()
			}
			seen = r.started
			r.mu.Unlock()
			continue
		case err != nil:
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiting[pid]; ok {
			ch <- ws
			delete(r.waiting, pid)
		}
		r.mu.Unlock()
	}
}

// start forks argv with attr and returns its pid and a channel that gets its
// wait status. Fork and registration happen under the lock that delivery
// takes, so a child that exits at once is never reaped unseen.
func (r *reaper) start(path string, argv []string, attr *syscall.ProcAttr) (int, <-chan unix.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan unix.WaitStatus, 1)
	r.waiting[pid] = ch
	r.started++
	r.children.Signal()
	return pid, ch, nil
}
