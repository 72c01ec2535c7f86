package node_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// TestSoak is opt-in: ACTR_SOAK=<duration> (scripts/soak.sh runs 10m).
// 50 nodes with both wires churn for that long — sends between random
// pairs, transports closed, nodes closed and replaced — from 8 workers;
// then every node closes and the process's goroutines, open files and
// live heap must be back to what they were before the first node.
func TestSoak(t *testing.T) {
	d, _ := time.ParseDuration(os.Getenv("ACTR_SOAK"))
	if d <= 0 {
		t.Skip("opt-in: ACTR_SOAK=10m go test -run Soak -timeout 30m -v ./node (scripts/soak.sh)")
	}
	const peers, workers = 50, 8
	ctx, cancel := context.WithTimeout(t.Context(), d+5*time.Minute)
	defer cancel()
	url := startSignaling(t)
	base := sample()
	t.Logf("baseline (signaling server only): %s", base)

	var (
		dirMu sync.Mutex
		dir   = map[protocol.ActorID]string{}
	)
	resolve := func(_ context.Context, id protocol.ActorID) (string, error) {
		dirMu.Lock()
		defer dirMu.Unlock()
		return dir[id], nil
	}
	var received atomic.Uint64
	startPeer := func() *node.Node {
		n, err := node.Start(ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "soak"},
			WSListen: "127.0.0.1:0", WSResolve: resolve, WebRTC: webrtc.Config{LoopbackOnly: true},
			Handler: transport.HandlerFunc(func(context.Context, transport.Message) { received.Add(1) })})
		if err != nil {
			t.Fatal(err)
		}
		dirMu.Lock()
		dir[n.ID()] = n.GateURL()
		dirMu.Unlock()
		return n
	}
	stopPeer := func(n *node.Node) {
		dirMu.Lock()
		delete(dir, n.ID())
		dirMu.Unlock()
		if err := n.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	}

	// slots[i] is replaced while workers use it: each slot has a lock,
	// held for reading by a send and for writing by a replacement.
	type slot struct {
		mu sync.RWMutex
		n  *node.Node
	}
	slots := make([]*slot, peers)
	for i := range slots {
		slots[i] = &slot{n: startPeer()}
	}
	var sends, sendErrs, closes, replaced atomic.Uint64
	var wg sync.WaitGroup
	began := time.Now()
	end := began.Add(d)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for time.Now().Before(end) && ctx.Err() == nil {
				i, j := rng.IntN(peers), rng.IntN(peers)
				if i == j {
					continue
				}
				switch op := rng.IntN(100); {
				case op < 90: // send
					src, dst := slots[i], slots[j]
					src.mu.RLock()
					dst.mu.RLock()
					to := dst.n.ID()
					dst.mu.RUnlock()
					sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					err := src.n.Send(sctx, to, protocol.DataPayloadTypes()[rng.IntN(3)], make([]byte, 1+rng.IntN(4096)))
					cancel()
					src.mu.RUnlock()
					sends.Add(1)
					if err != nil {
						sendErrs.Add(1) // the destination may have just been replaced
					}
				case op < 98: // drop a transport
					src, dst := slots[i], slots[j]
					src.mu.RLock()
					dst.mu.RLock()
					_ = src.n.Manager().CloseTransport(ctx, transport.Actor(dst.n.ID()))
					dst.mu.RUnlock()
					src.mu.RUnlock()
					closes.Add(1)
				default: // a node goes away and another takes its place
					s := slots[i]
					s.mu.Lock()
					stopPeer(s.n)
					s.n = startPeer()
					s.mu.Unlock()
					replaced.Add(1)
				}
			}
		})
	}
	tick := time.NewTicker(min(30*time.Second, d/4))
	peakTick := time.NewTicker(100 * time.Millisecond)
	peak := 0 // most goroutines seen at once
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
loop:
	for {
		select {
		case <-peakTick.C:
			peak = max(peak, runtime.NumGoroutine())
		case <-tick.C:
			t.Logf("%v: %s; %d sends (%d failed), %d transports closed, %d nodes replaced, %d received",
				time.Since(began).Round(time.Second), sample(), sends.Load(), sendErrs.Load(), closes.Load(), replaced.Load(), received.Load())
		case <-done:
			break loop
		}
	}
	tick.Stop()
	peakTick.Stop()
	for _, s := range slots {
		stopPeer(s.n)
	}
	after := settle(base)
	if f := os.Getenv("ACTR_SOAK_HEAPPROFILE"); f != "" {
		if fh, err := os.Create(f); err == nil {
			_ = pprof.WriteHeapProfile(fh)
			_ = fh.Close()
		}
	}
	t.Logf("done: %d sends (%d failed), %d transports closed, %d nodes replaced, %d messages received", sends.Load(), sendErrs.Load(),
		closes.Load(), replaced.Load(), received.Load())
	t.Logf("after every node closed: %s (baseline %s)", after, base)
	if after.goroutines > base.goroutines {
		t.Errorf("%d goroutines, baseline %d", after.goroutines, base.goroutines)
	}
	if after.fds > base.fds+2 {
		t.Errorf("%d open files, baseline %d", after.fds, base.fds)
	}
	// The runtime keeps a descriptor for every goroutine that ever ran at
	// once (allgs; ~0.5 KiB each, never freed): the heap may keep that
	// for the peak, plus 8 MiB.
	t.Logf("peak: %d goroutines at once", peak)
	if limit := base.heap + uint64(peak)<<10 + 8<<20; after.heap > limit {
		t.Errorf("live heap %.1f MiB, baseline %.1f MiB, limit %.1f MiB", float64(after.heap)/(1<<20), float64(base.heap)/(1<<20), float64(limit)/(1<<20))
	}
	if sendErrs.Load()*10 > sends.Load() {
		t.Errorf("%d of %d sends failed", sendErrs.Load(), sends.Load())
	}
}

type usage struct {
	goroutines, fds int
	heap            uint64
}

func (u usage) String() string {
	return fmt.Sprintf("%d goroutines, %d open files, %.1f MiB live heap", u.goroutines, u.fds, float64(u.heap)/(1<<20))
}

func sample() usage {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, _ := os.ReadDir("/proc/self/fd")
	return usage{goroutines: runtime.NumGoroutine(), fds: len(fds), heap: ms.HeapAlloc}
}

// settle samples until the goroutines are back to the baseline's count
// or 30 s have passed (goroutines that were told to stop take a moment
// to return; nothing announces the last one), and returns the sample.
func settle(base usage) usage {
	deadline := time.Now().Add(30 * time.Second)
	for {
		u := sample()
		if u.goroutines <= base.goroutines && u.fds <= base.fds+2 || time.Now().After(deadline) {
			return u
		}
		time.Sleep(100 * time.Millisecond)
	}
}
