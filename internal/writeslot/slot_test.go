package writeslot

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Many goroutines taking the slot never overlap, and every take is
// matched by a release (run with -race: the counter is a plain int).
func TestWriteSlotExcludes(t *testing.T) {
	s := New()
	var inside, total int
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 2000 {
				if ok, err := s.Take(context.Background(), nil); !ok {
					t.Errorf("take: %v", err)
					return
				}
				inside++
				if inside != 1 {
					t.Errorf("%d holders at once", inside)
				}
				total++
				inside--
				s.Release()
			}
		})
	}
	wg.Wait()
	if total != 8*2000 {
		t.Fatalf("%d takes, want %d", total, 8*2000)
	}
	if s.IsHeld() {
		t.Fatal("slot still held after every release")
	}
}

// A release with a waiter hands the slot over: the releaser cannot take
// it back first.
func TestWriteSlotHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		if !s.TryTake() {
			t.Fatal("a free slot could not be taken")
		}
		got := make(chan bool)
		go func() {
			ok, _ := s.Take(context.Background(), nil)
			got <- ok
		}()
		synctest.Wait() // the waiter is blocked
		s.Release()
		if s.TryTake() {
			t.Fatal("the releaser took the slot back from its waiter")
		}
		if !<-got {
			t.Fatal("the waiter did not get the slot")
		}
		s.Release()
		if !s.TryTake() {
			t.Fatal("slot not free after the last release")
		}
	})
}

// A waiter gives up when its ctx ends or the connection dies, and leaves
// the slot as it was.
func TestWriteSlotWaiterGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		s.TryTake()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if ok, err := s.Take(ctx, nil); ok || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("take with a deadline on a held slot = %v, %v; want false, DeadlineExceeded", ok, err)
		}
		done := make(chan struct{})
		res := make(chan error)
		go func() {
			ok, err := s.Take(context.Background(), done)
			if ok {
				err = errors.New("took a held slot")
			}
			res <- err
		}()
		synctest.Wait()
		close(done)
		if err := <-res; err != nil {
			t.Fatalf("take when done closed: %v, want not ok and nil", err)
		}
		s.Release()
		if !s.TryTake() {
			t.Fatal("slot not free: a waiter that gave up was handed it")
		}
	})
}

// A waiter whose ctx ends just as the slot is handed to it may leave the
// slot in transit; the next taker must get it, not wait for ever.
func TestWriteSlotHandoffToLeavingWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for range 200 {
			s := New()
			s.TryTake()
			ctx, cancel := context.WithCancel(context.Background())
			res := make(chan bool)
			go func() {
				ok, _ := s.Take(ctx, nil)
				res <- ok
			}()
			synctest.Wait()
			cancel()    // both cases of the waiter's select are ready
			s.Release() // before it runs
			if <-res {
				s.Release()
			}
			next, stop := context.WithTimeout(context.Background(), time.Minute)
			if ok, err := s.Take(next, nil); !ok {
				t.Fatalf("take after a waiter left: %v (the slot was lost in transit)", err)
			}
			stop()
		}
	})
}
