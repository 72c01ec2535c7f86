package node_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// receivedLog counts what a receiver got, per sender.
type receivedLog struct {
	mu      sync.Mutex
	got     map[protocol.ActorID]int
	changed chan struct{}
}

func (r *receivedLog) ServeMessage(_ context.Context, m transport.Message) {
	r.mu.Lock()
	r.got[m.From]++
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// waitFor waits until from has been received n times, or ctx ends.
func (r *receivedLog) waitFor(ctx context.Context, from protocol.ActorID, n int) (int, error) {
	for {
		r.mu.Lock()
		got, ch := r.got[from], r.changed
		r.mu.Unlock()
		if got >= n {
			return got, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}

// Nothing Send accepted is lost on a clean Close (issue 20): 20 rounds of
// a fresh node sending 50 × 1 KiB on RPC_RELIABLE and closing at once;
// the peer receives all 1,000, over each wire kind.
func TestCloseFlushesWhatSendAccepted(t *testing.T) {
	for _, kind := range []string{"webrtc", "websocket"} {
		t.Run(kind, func(t *testing.T) {
			ctx := guard(t)
			url := startSignaling(t)
			log := &receivedLog{got: map[protocol.ActorID]int{}, changed: make(chan struct{})}
			recv := start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "sink"},
				WSListen: "127.0.0.1:0", WebRTC: webrtc.Config{LoopbackOnly: true}, Handler: log})
			const rounds, perRound = 20, 50
			total := 0
			for round := range rounds {
				cfg := node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "sender"},
					WebRTC: webrtc.Config{LoopbackOnly: true}}
				if kind == "websocket" {
					cfg.DisableWebRTC, cfg.WSURLTemplate = true, recv.GateURLTemplate()
				}
				sender, err := node.Start(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				data := make([]byte, 1024)
				for i := range perRound {
					copy(data, fmt.Sprintf("round %d message %d", round, i))
					if err := sender.Send(ctx, recv.ID(), protocol.RPCReliable, data); err != nil {
						t.Fatalf("round %d: Send %d: %v", round, i, err)
					}
				}
				if err := sender.Close(ctx); err != nil {
					t.Fatalf("round %d: Close: %v", round, err)
				}
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second) // a failure detector: lost messages never come
				got, err := log.waitFor(wctx, sender.ID(), perRound)     // ID outlives Close
				cancel()
				total += got
				if err != nil {
					t.Fatalf("round %d: the peer received %d of the %d messages Send accepted before Close (%d of %d so far)", round, got, perRound, total, rounds*perRound)
				}
			}
			t.Logf("received %d of %d", total, rounds*perRound)
		})
	}
}
