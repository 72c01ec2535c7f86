package main

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

// An `actr node` process is killed (SIGKILL: no close handshake, no
// unregistering) in the middle of a stream from a node in this process:
// over WebSocket and over WebRTC the death is detected within the
// configured bound and the transport removed; a new peer process is
// reached by the next Send.
func TestKillPeerProcessMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	url := signalingtest.Start(t, signaling.ServerConfig{}).URL

	// The ICE timers of the driving node bound WebRTC detection: 1 s of
	// silence, then 2 ICE restarts of 2 s each and a last 2 s.
	rtc := webrtc.Config{LoopbackOnly: true, ICEDisconnectedTimeout: time.Second, ICEFailedTimeout: 2 * time.Second, ICEKeepaliveInterval: 200 * time.Millisecond}
	ws := websocket.Options{PingInterval: 500 * time.Millisecond, PingTimeout: time.Second}
	for _, tc := range []struct {
		name  string
		kind  transport.WireKind
		bound time.Duration
	}{
		// The kernel resets the killed process's connections at once; the
		// keepalive is the bound if it did not.
		{"websocket", transport.WireWebSocket, ws.PingInterval + ws.PingTimeout + 4*time.Second},
		{"webrtc", transport.WireWebRTC, rtc.ICEDisconnectedTimeout + 3*rtc.ICEFailedTimeout + 4*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			args := []string{"node", "--signal", url, "--loopback-only"}
			if tc.kind == transport.WireWebSocket {
				args = append(args, "--no-webrtc", "--ws-listen", "127.0.0.1:0")
			}
			peer := startProc(t, "peer", args...)
			id, err := protocol.ParseActorID(peer.line(ctx, "actor "))
			if err != nil {
				t.Fatal(err)
			}
			echoes := make(chan transport.Message, 1024)
			cfg := node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "driver"},
				WebRTC: rtc, WebSocket: ws, HealthCheckInterval: -1,
				Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { echoes <- m })}
			args2 := args // the peer's come-back
			if tc.kind == transport.WireWebSocket {
				cfg.DisableWebRTC = true
				cfg.WSURLTemplate = peer.line(ctx, "gate ")
				// It comes back on the same address, as a restarted service would.
				hostPort := strings.TrimPrefix(cfg.WSURLTemplate, "ws://")
				hostPort = hostPort[:strings.IndexByte(hostPort, '/')]
				args2 = append(args[:len(args)-1:len(args)-1], hostPort)
			}
			d, err := node.Start(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close(context.Background())
			sub := d.Manager().Subscribe(4096)
			defer sub.Close()

			// Stream to the peer until it is killed and a while after.
			var (
				stop atomic.Bool
				wg   sync.WaitGroup
				sent atomic.Int64
			)
			wg.Go(func() {
				for !stop.Load() {
					sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
					if d.Send(sctx, id, protocol.RPCReliable, make([]byte, 1000)) == nil {
						sent.Add(1)
					}
					cancel()
				}
			})
			defer func() { stop.Store(true); wg.Wait() }()
			for got := 0; got < 200; got++ {
				select {
				case m := <-echoes:
					if m.Wire != tc.kind {
						t.Fatalf("an echo came over %s, want %s", m.Wire, tc.kind)
					}
				case <-ctx.Done():
					t.Fatalf("%d echoes before the kill", got)
				}
			}
			tr, ok := d.Manager().Transport(transport.Actor(id))
			if !ok {
				t.Fatal("no transport to the peer")
			}
			killed := time.Now()
			_ = peer.cmd.Process.Kill()
			<-peer.exited
			var failed, removed time.Time
			for removed.IsZero() {
				select {
				case e := <-sub.Events():
					if e.TransportID != tr.ID() {
						continue
					}
					if e.Kind == transport.EventWireStateChanged && e.State == transport.WireFailed && e.WireKind == tc.kind && failed.IsZero() {
						failed = e.Time
					}
					if e.Kind == transport.EventTransportRemoved {
						removed = e.Time
					}
				case <-ctx.Done():
					t.Fatal("the transport to the killed peer was not removed")
				}
			}
			t.Logf("SIGKILL mid-stream (%d messages sent) → %s wire failed in %v, transport removed in %v (bound %v)",
				sent.Load(), tc.kind, failed.Sub(killed).Round(time.Millisecond), removed.Sub(killed).Round(time.Millisecond), tc.bound)
			if failed.IsZero() || removed.Sub(killed) > tc.bound {
				t.Errorf("detection took %v, bound %v", removed.Sub(killed), tc.bound)
			}
			stop.Store(true)
			wg.Wait()

			// A peer comes back (a new process; signaling gives it a new
			// id): the next Send reaches it over the same kind of wire.
			peer2 := startProc(t, "peer again", args2...)
			id2, err := protocol.ParseActorID(peer2.line(ctx, "actor "))
			if err != nil {
				t.Fatal(err)
			}
			back := time.Now()
			if err := d.Send(ctx, id2, protocol.RPCReliable, []byte("back")); err != nil {
				t.Fatalf("Send to the new peer: %v", err)
			}
			for {
				select {
				case m := <-echoes:
					if string(m.Data) != "back" {
						continue // a late echo from before the kill
					}
					if m.Wire != tc.kind || m.From != id2 {
						t.Fatalf("echo from %s over %s", m.From, m.Wire)
					}
					t.Logf("new peer process reached over %s in %v", m.Wire, time.Since(back).Round(time.Millisecond))
					peer2.stop(ctx)
					return
				case <-ctx.Done():
					t.Fatal("no echo from the new peer")
				}
			}
		})
	}
}
