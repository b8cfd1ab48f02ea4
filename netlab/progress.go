package netlab

import (
	"sync"
	"time"
)

// Progress is how far a step of up or down got.
type Progress struct {
	Step        string // what is being done: "start nodes", "wire links", ...
	Done, Total int
	Took        time.Duration // set on the call that reports the step finished
}

// stepTimer reports one step's progress to a callback, if there is one.
type stepTimer struct {
	report func(Progress)
	step   string
	total  int
	start  time.Time
	mu     sync.Mutex
	done   int
}

func startStep(report func(Progress), step string, total int) *stepTimer {
	return &stepTimer{report: report, step: step, total: total, start: time.Now()}
}

// add counts n more items done.
func (s *stepTimer) add(n int) {
	if s.report == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done += n
	s.report(Progress{Step: s.step, Done: s.done, Total: s.total})
}

// end reports the step finished.
func (s *stepTimer) end() {
	if s.report == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.report(Progress{Step: s.step, Done: s.total, Total: s.total, Took: time.Since(s.start)})
}
