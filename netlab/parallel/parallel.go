// Package parallel runs a bounded number of calls at once and keeps the
// first error: the shape of every fan-out in bringing a lab up or down.
package parallel

import (
	"context"
	"sync"
)

// Each calls f(0) … f(n-1) with at most limit calls running at once. It
// returns the first error; once one occurred, or ctx ended, no new call
// starts, and Each waits for the running ones before it returns.
func Each(ctx context.Context, n, limit int, f func(int) error) error {
	if limit < 1 {
		limit = 1
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, limit)
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	for i := 0; i < n && !failed() && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
