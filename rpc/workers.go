package rpc

import "sync"

// workers runs handlers on goroutines that are kept, a few of them idle,
// for the next request: a fresh goroutine per request would grow its
// stack again through the reply's whole send path every time.
type workers struct {
	mu      sync.Mutex
	idle    []chan func() // parked workers; each buffered 1, so a handoff never blocks
	closed  bool
	maxIdle int
	wg      sync.WaitGroup
}

// run runs f on an idle worker, or on a new one.
func (w *workers) run(f func()) {
	w.mu.Lock()
	if n := len(w.idle); n > 0 && !w.closed {
		ch := w.idle[n-1]
		w.idle[n-1] = nil
		w.idle = w.idle[:n-1]
		w.mu.Unlock()
		ch <- f
		return
	}
	w.wg.Add(1)
	w.mu.Unlock()
	go w.work(f)
}

func (w *workers) work(f func()) {
	defer w.wg.Done()
	ch := make(chan func(), 1)
	for f != nil {
		f()
		w.mu.Lock()
		if w.closed || len(w.idle) >= w.maxIdle {
			w.mu.Unlock()
			return
		}
		w.idle = append(w.idle, ch)
		w.mu.Unlock()
		f = <-ch // nil once closed
	}
}

// close stops the idle workers and waits for every worker to end.
func (w *workers) close() {
	w.mu.Lock()
	w.closed = true
	for _, ch := range w.idle {
		close(ch)
	}
	w.idle = nil
	w.mu.Unlock()
	w.wg.Wait()
}
