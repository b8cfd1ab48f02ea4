package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/netlab-dev/netlab/netlab"
)

// progressPrinter shows up's progress: on a terminal, one line that keeps
// being rewritten; with --verbose, a line per finished step with its time;
// otherwise nothing.
type progressPrinter struct {
	w       io.Writer
	tty     bool
	verbose bool
	last    time.Time
}

func newProgressPrinter(quiet, verbose bool) func(netlab.Progress) {
	if quiet {
		return nil
	}
	p := &progressPrinter{w: os.Stderr, tty: term.IsTerminal(int(os.Stderr.Fd())), verbose: verbose}
	if !p.tty && !p.verbose {
		return nil
	}
	return p.show
}

func (p *progressPrinter) show(pr netlab.Progress) {
	if pr.Took > 0 {
		if p.tty {
			fmt.Fprint(p.w, "\r\033[K")
		}
		if p.verbose {
			fmt.Fprintf(p.w, "%-18s %5d  %8.1f ms\n", termSafe(pr.Step), pr.Total, float64(pr.Took.Microseconds())/1000)
		}
		return
	}
	// A terminal line at most every 50 ms: redrawing costs more than a node.
	if !p.tty || time.Since(p.last) < 50*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\033[K%s %d/%d", termSafe(pr.Step), pr.Done, pr.Total)
}
