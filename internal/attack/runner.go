package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

var errNoLegit = errors.New("the legit client could not connect before the attack")

// phase is one phase's measurement of the legit client and the target.
type phase struct {
	rtts     []time.Duration
	lost     int
	fresh    time.Duration // a fresh client's connect (or register) time
	freshErr error
	stats    procStats
}

type row struct {
	a                     *attack
	before, during, after phase
	t                     *tally
	settledIn             time.Duration
	settledOK             bool
	err                   error
}

// legit is the well-behaved client whose service the attack must not
// take away.
type legit interface {
	// measure makes round trips for d and reports them.
	measure(ctx context.Context, d time.Duration) phase
	// fresh times a new client's first round trip (node) or
	// registration (signaling), connection included.
	fresh(ctx context.Context) (time.Duration, error)
	close()
}

func runAttack(ctx context.Context, e *env, a *attack) (*row, error) {
	r := &row{a: a, t: &tally{}}
	pid, murl := e.nodePID, e.nodeMetrics
	if a.onSignal {
		pid, murl = e.signalPID, e.signalMetrics
	}
	measure := func(l legit, d time.Duration) phase {
		p := l.measure(ctx, d)
		p.stats = sampleProc(ctx, pid, murl)
		p.fresh, p.freshErr = l.fresh(ctx)
		return p
	}
	l, err := newLegit(ctx, e, a.legit)
	if err != nil {
		r.err = fmt.Errorf("%w: %v", errNoLegit, err)
		return r, r.err
	}
	defer l.close()
	progress := func(f string, args ...any) {
		fmt.Fprintf(logOut, "%s %s: %s\n", time.Now().Format("15:04:05"), a.name, fmt.Sprintf(f, args...))
	}
	progress("before (%v)", e.phase)
	r.before = measure(l, e.phase)

	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() { done <- a.run(actx, e, r.t, func() { once.Do(func() { close(ready) }) }) }()
	progress("mounting: %s", a.what)
	var attackErr error
	ended := false
	mount := time.NewTimer(120 * time.Second)
	select {
	case <-ready:
	case attackErr = <-done:
		ended = true
	case <-mount.C:
		r.t.note("not fully mounted within 120 s")
	case <-ctx.Done():
	}
	mount.Stop()
	d := e.phase
	if a.minDuring != nil {
		d = max(d, a.minDuring(e))
	}
	progress("during (%v)", d)
	r.during = measure(l, d)
	cancel()
	if !ended {
		attackErr = <-done
	}
	if attackErr != nil {
		r.t.note("attack: %v", attackErr)
	}
	progress("stopped; settling (at most %v)", e.settle)
	start := time.Now()
	for {
		s := sampleProc(ctx, pid, murl)
		if settled(r.before.stats, s) {
			r.settledOK = true
			break
		}
		if time.Since(start) > e.settle || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
	r.settledIn = time.Since(start)
	progress("after (%v)", e.phase)
	r.after = measure(l, e.phase)
	return r, nil
}

func newLegit(ctx context.Context, e *env, kind string) (legit, error) {
	switch kind {
	case "signal":
		return newSignalLegit(ctx, e)
	case "gate":
		return newNodeLegit(ctx, e, true)
	default:
		return newNodeLegit(ctx, e, false)
	}
}

// startNode starts an in-process node of the attacker's program: over
// WebRTC on loopback, or over the target's gate only.
func (e *env) startNode(ctx context.Context, name string, overGate bool, h transport.Handler, opts ...transport.Option) (*node.Node, error) {
	cfg := node.Config{SignalingURL: e.signalURL, Realm: e.realm, Type: signaling.ActorType{Manufacturer: "attack", Name: name},
		RealmSecret: e.secret, WebRTC: webrtc.Config{LoopbackOnly: true}, Handler: h, ManagerOptions: opts, Logger: e.log}
	if overGate {
		cfg.DisableWebRTC, cfg.WSURLTemplate = true, e.gateTemplate
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return node.Start(sctx, cfg)
}

func closeNode(n *node.Node) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = n.Close(ctx)
}

// dialSignal registers an attacker's signaling client of type
// attack:name, from --from if set.
func (e *env) dialSignal(ctx context.Context, name string) (*signaling.Client, error) {
	return e.signalClient(ctx, name, e.attackHTTP())
}

// legitSignal registers a legit signaling client, from the default
// address.
func (e *env) legitSignal(ctx context.Context, name string) (*signaling.Client, error) {
	return e.signalClient(ctx, name, nil)
}

func (e *env) signalClient(ctx context.Context, name string, hc *http.Client) (*signaling.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return signaling.Dial(ctx, signaling.ClientConfig{URL: e.signalURL, Realm: e.realm, RealmSecret: e.secret, HTTPClient: hc,
		Type: signaling.ActorType{Manufacturer: "attack", Name: name}, Logger: e.log})
}

// dialer dials the attacker's raw connections, from --from if set.
func (e *env) dialer() *net.Dialer {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if e.from != nil {
		d.LocalAddr = &net.TCPAddr{IP: e.from}
	}
	return d
}

// attackHTTP makes the handshakes of the attacker's signaling clients
// (nil: the library's default, from the default address).
func (e *env) attackHTTP() *http.Client {
	if e.from == nil {
		return nil
	}
	e.httpOnce.Do(func() {
		e.http = &http.Client{Transport: &http.Transport{DialContext: e.dialer().DialContext, DisableKeepAlives: true}}
	})
	return e.http
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return -1
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func fmtMiB(b int64) string {
	if b < 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}

func fmtInt(n int) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

func three[T any](r *row, f func(p *phase) T, format func(T) string) string {
	return format(f(&r.before)) + " → " + format(f(&r.during)) + " → " + format(f(&r.after))
}

// line is the row's tab-separated form: attack, what, target, legit
// client, p50 b/d/a, p99 b/d/a, answered/lost b/d/a, fresh client b/d/a,
// RSS MiB b/d/a, heap MiB b/d/a, fds b/d/a, goroutines b/d/a, attack
// actions, refused/closed by target, notes, and whether the target
// settled after the attack (yes/no).
func (r *row) line() string {
	tgt := "node"
	if r.a.onSignal {
		tgt = "signal"
	}
	f := []string{"row", r.a.name, r.a.what, tgt, r.a.legit}
	if r.err != nil {
		f = append(f, "–", "–", "–", "–", "–", "–", "–", "–", "–", "–", oneLine(r.err.Error()), "no")
		return strings.Join(f, "\t")
	}
	f = append(f,
		three(r, func(p *phase) time.Duration { return percentile(p.rtts, .5) }, fmtDur),
		three(r, func(p *phase) time.Duration { return percentile(p.rtts, .99) }, fmtDur),
		three(r, func(p *phase) string { return fmt.Sprintf("%d/%d", len(p.rtts), p.lost) }, func(s string) string { return s }),
		three(r, func(p *phase) *phase { return p }, func(p *phase) string {
			if p.freshErr != nil {
				return "failed"
			}
			return fmtDur(p.fresh)
		}),
		three(r, func(p *phase) int64 { return p.stats.RSS }, fmtMiB),
		three(r, func(p *phase) int64 { return p.stats.Heap }, fmtMiB),
		three(r, func(p *phase) int { return p.stats.FDs }, fmtInt),
		three(r, func(p *phase) int { return p.stats.Goroutines }, fmtInt),
		fmt.Sprint(r.t.sent.Load()),
		fmt.Sprint(r.t.refused.Load()),
	)
	notes := slices.Clone(r.t.notes)
	if n := r.t.conns.Load(); n > 0 && r.before.stats.RSS >= 0 && r.during.stats.RSS >= 0 {
		notes = append(notes, fmt.Sprintf("per held connection: RSS %+.0f KiB, heap %+.0f KiB",
			float64(r.during.stats.RSS-r.before.stats.RSS)/float64(n)/1024, float64(r.during.stats.Heap-r.before.stats.Heap)/float64(n)/1024))
	}
	if !r.settledOK {
		notes = append(notes, fmt.Sprintf("fds/goroutines not back to baseline %.0f s after the attack", r.settledIn.Seconds()))
	}
	for _, p := range []*phase{&r.before, &r.during, &r.after} {
		if p.freshErr != nil {
			notes = append(notes, "fresh client: "+oneLine(p.freshErr.Error()))
			break
		}
	}
	settled := "yes"
	if !r.settledOK {
		settled = "no"
	}
	f = append(f, flat(strings.Join(notes, "; ")), settled)
	return strings.Join(f, "\t")
}

// flat puts s on one line without tabs.
func flat(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\t", " "), "\n", " ")
}

// oneLine is an error message, flat and cut to a length fit for a note.
func oneLine(s string) string {
	s = flat(s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
