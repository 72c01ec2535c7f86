package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// conn is a client's connection to a peer's server.
type conn interface {
	// roundTripper returns a function sending one size-byte message and
	// waiting for its echo; one goroutine calls it at a time.
	roundTripper(size int) (func(ctx context.Context) error, error)
	// sender returns a function sending one size-byte message one way, for
	// one goroutine; several senders may run at once.
	sender(ctx context.Context, size int) (func(ctx context.Context) error, error)
	close()
}

// dialFunc connects a client to the server that reported info. It may
// return before any connection is made (the first round trip then
// connects); signaling is the part of it spent registering with a
// signaling server (actr's), reported separately.
type dialFunc func(ctx context.Context, h *harness, info []string) (c conn, signaling time.Duration, err error)

// payload is a size-byte message starting with tag.
func payload(tag byte, size int) []byte {
	p := make([]byte, size)
	for i := range p {
		p[i] = byte(i)
	}
	p[0] = tag
	return p
}

type harness struct {
	o        options
	sig      *signalServer
	children map[string]*child
}

func startHarness(o options) (_ *harness, err error) {
	h := &harness{o: o, children: map[string]*child{}}
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	if h.sig, err = startSignaling(); err != nil {
		return nil, fmt.Errorf("signaling server: %w", err)
	}
	for _, p := range o.peers {
		c, err := startChild(p, h.sig.env())
		if err != nil {
			return nil, err
		}
		h.children[p] = c
	}
	return h, nil
}

// close stops the server processes and the signaling server.
func (h *harness) close() {
	var wg sync.WaitGroup
	for _, c := range h.children {
		wg.Go(c.stop)
	}
	wg.Wait()
	if h.sig != nil {
		h.sig.close()
	}
}

// workloads, in the order they run in each round.
type workload struct {
	key     string
	size    int
	senders int // 0: round trip
}

var (
	rtSizes = []int{64, 1024}
	tpSizes = []int{64, 1024, 64 << 10}
)

func workloads() []workload {
	var w []workload
	for _, s := range rtSizes {
		w = append(w, workload{key: "rt" + sizeKey(s), size: s})
	}
	for _, s := range tpSizes {
		for _, k := range []int{1, 16} {
			w = append(w, workload{key: fmt.Sprintf("tp%s/%d", sizeKey(s), k), size: s, senders: k})
		}
	}
	return w
}

func sizeKey(s int) string {
	if s >= 1024 {
		return strconv.Itoa(s>>10) + "k"
	}
	return strconv.Itoa(s)
}

// results: peer → figure → one value a round (NaN-free: a failed figure
// is left out, and its error kept).
type results struct {
	vals   map[string]map[string][]float64
	errs   map[string]map[string]string
	rounds int
	idle   map[string]int // idle connections used per peer
}

func (r *results) add(peer, key string, v float64) {
	if r.vals[peer] == nil {
		r.vals[peer] = map[string][]float64{}
	}
	r.vals[peer][key] = append(r.vals[peer][key], v)
}

func (r *results) fail(peer, key string, err error) {
	if r.errs[peer] == nil {
		r.errs[peer] = map[string]string{}
	}
	r.errs[peer][key] = err.Error()
}

func (h *harness) logf(format string, a ...any) {
	if h.o.progress != nil {
		fmt.Fprintf(h.o.progress, format+"\n", a...)
	}
}

func (h *harness) run(ctx context.Context) (*results, error) {
	res := &results{vals: map[string]map[string][]float64{}, errs: map[string]map[string]string{}, idle: map[string]int{}}
	for r := range h.o.rounds {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The order rotates each round, so no peer always runs first.
		order := slices.Clone(h.o.peers)
		k := r % len(order)
		order = append(order[k:], order[:k]...)
		h.logf("== round %d of %d: %v", r+1, h.o.rounds, order)
		conns := map[string]conn{}
		for _, p := range order {
			c, err := h.first(ctx, p, res)
			if err != nil {
				res.fail(p, "first", err)
				h.logf("%s: first message: %v", p, err)
				continue
			}
			conns[p] = c
		}
		for _, w := range workloads() {
			for _, p := range order {
				c := conns[p]
				if c == nil || ctx.Err() != nil {
					continue
				}
				var err error
				if w.senders == 0 {
					err = h.roundTrips(ctx, p, c, w, res)
				} else {
					err = h.throughput(ctx, p, c, w, res)
				}
				if err != nil {
					res.fail(p, w.key, err)
					h.logf("%s: %s: %v", p, w.key, err)
				}
			}
		}
		for _, c := range conns {
			c.close()
		}
		for _, p := range order {
			if ctx.Err() != nil {
				break
			}
			if err := h.idleMemory(ctx, p, res); err != nil {
				res.fail(p, "idle", err)
				h.logf("%s: idle memory: %v", p, err)
			}
		}
		res.rounds++
	}
	return res, nil
}

// first dials p from nothing and times connect + the first round trip.
func (h *harness) first(ctx context.Context, p string, res *results) (conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t0 := time.Now()
	c, sig, err := dialers[p](ctx, h, h.children[p].info)
	if err != nil {
		return nil, err
	}
	rt, err := c.roundTripper(64)
	if err == nil {
		err = rt(ctx)
	}
	if err != nil {
		c.close()
		return nil, err
	}
	res.add(p, "first", float64(time.Since(t0)-sig))
	if sig > 0 {
		res.add(p, "signaling", float64(sig))
	}
	return c, nil
}

// roundTrips: one message in flight for rtDur after a warm-up; p50 and p99.
func (h *harness) roundTrips(ctx context.Context, p string, c conn, w workload, res *results) error {
	ctx, cancel := context.WithTimeout(ctx, h.o.rtDur+30*time.Second)
	defer cancel()
	rt, err := c.roundTripper(w.size)
	if err != nil {
		return err
	}
	for range 50 {
		if err := rt(ctx); err != nil {
			return err
		}
	}
	s := make([]time.Duration, 0, 1<<16)
	end := time.Now().Add(h.o.rtDur)
	for t0 := time.Now(); t0.Before(end); t0 = time.Now() {
		if err := rt(ctx); err != nil {
			return err
		}
		s = append(s, time.Since(t0))
	}
	slices.Sort(s)
	res.add(p, w.key+"/p50", float64(percentile(s, 50)))
	res.add(p, w.key+"/p99", float64(percentile(s, 99)))
	return nil
}

func percentile(s []time.Duration, q int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := (len(s)*q + 99) / 100
	return s[max(i-1, 0)]
}

// throughput: w.senders goroutines send for tpDur; the clock stops when
// the server has counted every message sent. Messages per second.
func (h *harness) throughput(ctx context.Context, p string, c conn, w workload, res *results) error {
	ctx, cancel := context.WithTimeout(ctx, h.o.tpDur+h.o.wait+30*time.Second)
	defer cancel()
	ch := h.children[p]
	if a, err := ch.call("reset", 10*time.Second); err != nil {
		return err
	} else if len(a) == 0 || a[0] != "ok" {
		return fmt.Errorf("reset: %q", a)
	}
	send := make([]func(context.Context) error, w.senders)
	for i := range send {
		var err error
		if send[i], err = c.sender(ctx, w.size); err != nil {
			return err
		}
	}
	var stop atomic.Bool
	var sent atomic.Int64
	errs := make([]error, w.senders)
	var wg sync.WaitGroup
	t0 := time.Now()
	timer := time.AfterFunc(h.o.tpDur, func() { stop.Store(true) })
	defer timer.Stop()
	for i, f := range send {
		wg.Go(func() {
			var n int64
			for !stop.Load() {
				if err := f(ctx); err != nil {
					errs[i] = err
					break
				}
				n++
			}
			sent.Add(n)
		})
	}
	wg.Wait()
	total := sent.Load()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sending: %w", err)
	}
	a, err := ch.call(fmt.Sprintf("wait %d", total), h.o.wait+10*time.Second)
	el := time.Since(t0)
	if err != nil {
		return err
	}
	if len(a) != 2 || a[0] != "count" {
		return fmt.Errorf("wait: %q", a)
	}
	got, _ := strconv.ParseInt(a[1], 10, 64)
	if got < total {
		return fmt.Errorf("the receiver counted %d of %d messages within %s", got, total, h.o.wait)
	}
	res.add(p, w.key, float64(total)/el.Seconds())
	return nil
}

// idleMemory: the server process's heap+stack and goroutines, before and
// after opening n connections (each made a round trip), per connection.
func (h *harness) idleMemory(ctx context.Context, p string, res *results) error {
	n := h.o.idle
	if p == "actr-webrtc" {
		n = h.o.idleRTC
	}
	res.idle[p] = n
	ch := h.children[p]
	mem := func() (bytes, goroutines float64, err error) {
		a, err := ch.call("mem", 30*time.Second)
		if err != nil {
			return 0, 0, err
		}
		if len(a) != 3 || a[0] != "mem" {
			return 0, 0, fmt.Errorf("mem: %q", a)
		}
		b, _ := strconv.ParseFloat(a[1], 64)
		g, _ := strconv.ParseFloat(a[2], 64)
		return b, g, nil
	}
	// Connections of earlier figures to go first.
	time.Sleep(200 * time.Millisecond)
	b0, g0, err := mem()
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	var conns []conn
	defer func() {
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(c.close)
		}
		wg.Wait()
	}()
	for range n {
		c, _, err := dialers[p](dctx, h, ch.info)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		rt, err := c.roundTripper(64)
		if err == nil {
			err = rt(dctx)
		}
		if err != nil {
			return err
		}
	}
	time.Sleep(300 * time.Millisecond) // let setup goroutines end
	b1, g1, err := mem()
	if err != nil {
		return err
	}
	res.add(p, "idle/bytes", (b1-b0)/float64(n))
	res.add(p, "idle/goroutines", (g1-g0)/float64(n))
	return nil
}
