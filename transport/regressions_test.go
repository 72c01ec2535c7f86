package transport_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// WithBackoff stores the normalised policy and the pool's Delay normalises
// it again: NoJitter must survive both, so a fixed backoff is exact.
func TestBackoffNoJitterSurvivesNormalisingTwice(t *testing.T) {
	b := transport.NormalizeBackoff(transport.Backoff{Initial: 15 * time.Millisecond, Max: 15 * time.Millisecond, Jitter: transport.NoJitter})
	for _, u := range []float64{0, 0.5, 0.999} {
		if d := time.Duration(transport.BackoffDelay(b, 0, u)); d != 15*time.Millisecond {
			t.Fatalf("NoJitter backoff at draw %v: %s, want exactly 15ms", u, d)
		}
	}
	// Zero still means the default ±20 %.
	d := transport.NormalizeBackoff(transport.Backoff{Initial: 100 * time.Millisecond})
	if got := time.Duration(transport.BackoffDelay(d, 0, 0)); got != 80*time.Millisecond {
		t.Fatalf("default jitter at the lowest draw: %s, want 80ms", got)
	}
}

// A transport closed by its user leaves the manager: the next Send dials
// afresh instead of failing with ErrClosed for ever.
func TestTransportClosedByItsUserLeavesTheManager(t *testing.T) {
	for _, how := range []string{"DestTransport.Close", "WirePool.Close"} {
		t.Run(how, func(t *testing.T) {
			ctx := guard(t)
			_, b := newFabric(transport.WireWebSocket)
			m := newManager(t, b)
			dest := actor(1)
			tr, err := m.GetOrCreateTransport(ctx, dest)
			if err != nil {
				t.Fatal(err)
			}
			if how == "DestTransport.Close" {
				err = tr.Close()
			} else {
				err = tr.Pool().Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("x")); err != nil {
					t.Fatalf("Send %d after the user closed the transport: %v", i, err)
				}
			}
			now, ok := m.Transport(dest)
			if !ok || now == tr {
				t.Fatal("the closed transport is still the destination's")
			}
			if b.BuildsFor(dest) != 2 {
				t.Fatalf("%d dials, want 2 (the first, and one after the close)", b.BuildsFor(dest))
			}
		})
	}
}

// blockingReadyWire is a wire whose Ready blocks once armed.
type blockingReadyWire struct {
	transport.Wire
	armed   chan struct{} // closed: the next Ready blocks
	entered chan struct{} // closed when a Ready is blocking
	release chan struct{}
}

func (w *blockingReadyWire) Ready() bool {
	select {
	case <-w.armed:
		select {
		case <-w.entered:
		default:
			close(w.entered)
		}
		<-w.release
	default:
	}
	return w.Wire.Ready()
}

// The health checker asks wires Ready with no pool lock held: a Ready that
// blocks does not block the pool's Close.
func TestHealthCheckHoldsNoLockWhileAskingReady(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // a failure detector
	defer cancel()
	_, inner := newFabric(transport.WireWebSocket)
	w := &blockingReadyWire{armed: make(chan struct{}), entered: make(chan struct{}), release: make(chan struct{})}
	b := wrappingBuilder(inner, func(inner transport.Wire) transport.Wire { w.Wire = inner; return w })
	m := newManager(t, b)
	dest := actor(1)
	tr, err := m.GetOrCreateTransport(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	for { // until the wire is ready: the check asks only ready wires
		ready, changed := tr.Pool().Watch()
		if len(ready) > 0 {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatal("the wire never became ready")
		}
	}
	close(w.armed)
	checked := make(chan struct{})
	go func() { defer close(checked); m.CheckHealth() }()
	select {
	case <-w.entered:
	case <-ctx.Done():
		t.Fatal("the health check never asked the wire")
	}
	closed := make(chan error, 1)
	go func() { closed <- tr.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		close(w.release) // so that the cleanup can close the manager
		t.Fatal("Close blocked behind a health check's call to Wire.Ready")
	}
	close(w.release)
	<-checked
}

// Failed Sends of a payload type without a data lane are counted too.
func TestSendErrorsCountMediaRTP(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b)
	for range 3 {
		if err := m.Send(ctx, actor(1), protocol.MediaRTP, nil); !errors.Is(err, transport.ErrNoRoute) {
			t.Fatalf("MEDIA_RTP Send: %v, want ErrNoRoute", err)
		}
	}
	if got := m.Stats().SendErrors[protocol.MediaRTP]; got != 3 {
		t.Fatalf("SendErrors[MEDIA_RTP] = %d, want 3", got)
	}
}

// A refusal that more attempts cannot change (ErrRefused: credential or
// realm not admitted) is not retried.
func TestRefusedConnectIsNotRetried(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric(transport.WireWebSocket)
	m, err := transport.NewOutprocManager(localID, b, transport.WithBackoff(transport.Backoff{Attempts: 5, Initial: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b.FailConnects(transport.WireWebSocket, 5, fmt.Errorf("gate said 403: %w", transport.ErrRefused))
	err = m.Send(ctx, actor(1), protocol.RPCReliable, nil)
	var ce *transport.ConnectError
	if !errors.Is(err, transport.ErrRefused) || !errors.As(err, &ce) || ce.Attempts != 1 {
		t.Fatalf("Send to a peer that refuses us: %v (attempts %+v), want ErrRefused after 1 attempt, not an hour of backoff", err, ce)
	}
}
