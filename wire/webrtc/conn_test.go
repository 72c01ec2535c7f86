package webrtc_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

func TestEveryPayloadTypeBothWays(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	a := newNode(t, ctx, url, nodeOpts{})
	b := newNode(t, ctx, url, nodeOpts{})

	for i, pt := range protocol.DataPayloadTypes() {
		msg := []byte(fmt.Sprintf("a→b %s", pt))
		if err := a.mgr.Send(ctx, transport.Actor(b.id), pt, msg); err != nil {
			t.Fatalf("a→b %s: %v", pt, err)
		}
		got := b.in.wait(t, ctx, i+1)[i]
		if got.Type != pt || got.From != a.id || got.Wire != transport.WireWebRTC || !bytes.Equal(got.Data, msg) {
			t.Fatalf("b got %+v, want %q on %s over webrtc from %s", got, msg, pt, a.id)
		}
	}
	// b answers over the connection a started (adopted on b's side).
	for i, pt := range protocol.DataPayloadTypes() {
		msg := []byte(fmt.Sprintf("b→a %s", pt))
		if err := b.mgr.Send(ctx, transport.Actor(a.id), pt, msg); err != nil {
			t.Fatalf("b→a %s: %v", pt, err)
		}
		got := a.in.wait(t, ctx, i+1)[i]
		if got.Type != pt || got.From != b.id || got.Wire != transport.WireWebRTC || !bytes.Equal(got.Data, msg) {
			t.Fatalf("a got %+v, want %q on %s over webrtc from %s", got, msg, pt, b.id)
		}
	}
	if n := a.co.Sessions() + b.co.Sessions(); n != 2 {
		t.Fatalf("%d sessions in all, want one per side", n)
	}
	if got := a.co.Counters().Sessions.Load() + b.co.Counters().Sessions.Load(); got != 2 {
		t.Fatalf("%d PeerConnections created, want 2", got)
	}
}

// A handler replying to the first message of an inbound connection finds
// the connection adopted: the reply travels on it, and the node neither
// dials nor makes a second PeerConnection.
func TestRepliesTravelOnTheAcceptedConnection(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	a := newNode(t, ctx, url, nodeOpts{})
	b := newNode(t, ctx, url, nodeOpts{handler: func(mgr *transport.OutprocManager) transport.Handler {
		return transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
			if err := mgr.Send(ctx, transport.Actor(m.From), m.Type, m.Data); err != nil && ctx.Err() == nil {
				t.Errorf("echo %s to %s: %v", m.Type, m.From, err)
			}
		})
	}})
	types := protocol.DataPayloadTypes()
	for _, pt := range types {
		if err := a.mgr.Send(ctx, transport.Actor(b.id), pt, []byte(pt.String())); err != nil {
			t.Fatalf("Send %s: %v", pt, err)
		}
	}
	for _, m := range a.in.wait(t, ctx, len(types)) {
		if m.From != b.id || m.Wire != transport.WireWebRTC || string(m.Data) != m.Type.String() {
			t.Fatalf("echo %+v", m)
		}
	}
	if n, acc := b.co.Counters().Sessions.Load(), b.co.Counters().Accepted.Load(); n != 1 || acc != 1 {
		t.Fatalf("b made %d PeerConnections (%d accepted), want the one it accepted", n, acc)
	}
}

// The latency-first channel really is unordered with bounded retransmits;
// the others are reliable and ordered; each is labelled with its payload
// type's name, as actr labels them, and opened in-band by the offerer (so
// the answerer has four it did not open, the offerer four it did).
func TestChannelsNegotiatedAsRouted(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	a := newNode(t, ctx, url, nodeOpts{})
	b := newNode(t, ctx, url, nodeOpts{})
	if err := a.mgr.Send(ctx, transport.Actor(b.id), protocol.RPCReliable, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	b.in.wait(t, ctx, 1)
	// b's channels carry messages as soon as they open; its Conn is
	// handed to its manager just after, in the background.
	b.events.await(t, ctx, 0, "b to adopt the WebRTC wire", isWireState(transport.WireWebRTC, transport.WireReady))
	var locals int
	for _, n := range []*testNode{a, b} {
		peer := b.id
		if n == b {
			peer = a.id
		}
		c, ok := n.co.Conn(peer)
		if !ok {
			t.Fatalf("%s has no connected Conn to %s", n.id, peer)
		}
		// The peer's channels arrive one by one: wait for all four.
		chans, ok := webrtc.AwaitChannels(ctx, c, func(got []webrtc.ChannelInfo) bool { return len(got) >= 4 })
		if !ok || len(chans) != 4 {
			t.Fatalf("%s: %d channels, want 4: %+v", n.id, len(chans), chans)
		}
		for i, ch := range chans {
			if ch.Local {
				locals++
			}
			if !ch.Open || !ch.Sending || ch.Label != actrLabels[i] || ch.PayloadType != protocol.DataPayloadTypes()[i] {
				t.Errorf("channel %d: %+v, want %s open and sent on", i, ch, protocol.DataPayloadTypes()[i])
			}
			if ch.PayloadType == protocol.StreamLatencyFirst {
				if ch.Ordered || ch.MaxRetransmits == nil || *ch.MaxRetransmits != webrtc.LatencyFirstMaxRetransmits {
					t.Errorf("%s: ordered %v maxRetransmits %v, want unordered with %d", ch.Label, ch.Ordered, ch.MaxRetransmits, webrtc.LatencyFirstMaxRetransmits)
				}
				continue
			}
			if !ch.Ordered || ch.MaxRetransmits != nil {
				t.Errorf("%s: ordered %v maxRetransmits %v, want reliable and ordered", ch.Label, ch.Ordered, ch.MaxRetransmits)
			}
		}
	}
	if locals != 4 {
		t.Errorf("%d of the 8 channel ends opened locally, want 4 (the offerer's)", locals)
	}
}

func TestTenThousandOrderedAndBigMessages(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	a := newNode(t, ctx, url, nodeOpts{})
	b := newNode(t, ctx, url, nodeOpts{})
	dest := transport.Actor(b.id)
	const n = 10000
	for i := range n {
		if err := a.mgr.Send(ctx, dest, protocol.RPCReliable, binary.BigEndian.AppendUint32(nil, uint32(i))); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	got := b.in.wait(t, ctx, n)
	for i, m := range got[:n] {
		if v := binary.BigEndian.Uint32(m.Data); int(v) != i || m.Wire != transport.WireWebRTC {
			t.Fatalf("message %d is %d over %s", i, v, m.Wire)
		}
	}

	// A 4 MiB message goes out in fragments and comes back whole.
	big := make([]byte, 4<<20)
	for i := range big {
		big[i] = byte(i * 31)
	}
	if err := a.mgr.Send(ctx, dest, protocol.StreamReliable, big); err != nil {
		t.Fatal(err)
	}
	back := b.in.wait(t, ctx, n+1)[n]
	if err := b.mgr.Send(ctx, transport.Actor(a.id), protocol.StreamReliable, back.Data); err != nil {
		t.Fatal(err)
	}
	if rt := a.in.wait(t, ctx, 1)[0]; !bytes.Equal(rt.Data, big) {
		t.Fatal("the 4 MiB message did not round-trip intact")
	}

	// Over one data channel message on the latency-first lane: refused
	// with the typed error, the connection untouched.
	err := a.mgr.Send(ctx, dest, protocol.StreamLatencyFirst, make([]byte, webrtc.MaxChunkSize+1))
	var tooLarge *transport.MessageTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Max != webrtc.MaxChunkSize {
		t.Fatalf("oversize latency-first send: %v, want *MessageTooLargeError with Max %d", err, webrtc.MaxChunkSize)
	}
	if err := a.mgr.Send(ctx, dest, protocol.StreamLatencyFirst, make([]byte, webrtc.MaxChunkSize)); err != nil {
		t.Fatalf("the largest latency-first message: %v", err)
	}
	if m := b.in.wait(t, ctx, n+2)[n+1]; len(m.Data) != webrtc.MaxChunkSize || m.Type != protocol.StreamLatencyFirst {
		t.Fatalf("got %d bytes on %s", len(m.Data), m.Type)
	}
	// Over the configured maximum on any lane.
	err = a.mgr.Send(ctx, dest, protocol.RPCReliable, make([]byte, webrtc.DefaultMaxMessageSize+1))
	if !errors.As(err, &tooLarge) {
		t.Fatalf("oversize send: %v", err)
	}
	if c := a.co.Counters(); c.BadMessages.Load()+b.co.Counters().BadMessages.Load() != 0 {
		t.Fatal("well-formed traffic counted as bad")
	}
}

// Glare: both nodes send first at the same moment. Exactly one
// PeerConnection per side results, and both messages are delivered.
func TestGlareEndsWithOneConnection(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	for round := range 5 {
		a := newNode(t, ctx, url, nodeOpts{})
		b := newNode(t, ctx, url, nodeOpts{})
		start := make(chan struct{})
		errs := make(chan error, 2)
		for _, p := range [][2]*testNode{{a, b}, {b, a}} {
			go func() {
				<-start
				errs <- p[0].mgr.Send(ctx, transport.Actor(p[1].id), protocol.RPCReliable, []byte("first"))
			}()
		}
		close(start)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		a.in.wait(t, ctx, 1)
		b.in.wait(t, ctx, 1)
		if got := a.co.Counters().Sessions.Load() + b.co.Counters().Sessions.Load(); got != 2 {
			t.Fatalf("round %d: %d PeerConnections created, want one per side", round, got)
		}
		if a.co.Sessions() != 1 || b.co.Sessions() != 1 {
			t.Fatalf("round %d: sessions a=%d b=%d", round, a.co.Sessions(), b.co.Sessions())
		}
		a.close()
		b.close()
	}
}

// Close releases every goroutine (goleak, in TestMain), socket and
// PeerConnection.
// With UDPMux the PeerConnections share the Coordinator's sockets (on a
// fixed port here, so the test can see them held and then released),
// which Close releases too.
func TestCloseReleasesEverything(t *testing.T) {
	t.Run("socket-per-connection", func(t *testing.T) { testCloseReleasesEverything(t, nil) })
	t.Run("shared-udp-mux", func(t *testing.T) {
		var ports []int
		var cfgs []*webrtc.Config
		for range 2 {
			cfg := testConfig()
			cfg.UDPMux = true
			cfg.UDPMuxPort = freeUDPPort(t)
			cfg.UDPSocketBuffer = 1 << 20
			ports = append(ports, cfg.UDPMuxPort)
			cfgs = append(cfgs, &cfg)
		}
		testCloseReleasesEverything(t, cfgs)
		for _, p := range ports {
			if !udpPortFree(p) {
				t.Fatalf("UDP port %d still bound after Close", p)
			}
		}
	})
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func udpPortFree(port int) bool {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func testCloseReleasesEverything(t *testing.T, cfgs []*webrtc.Config) {
	ctx := guard(t)
	url := startSignaling(t)
	fdsBefore := openFDs(t)
	baseline := goleak.IgnoreCurrent()
	var ca, cb *webrtc.Config
	if cfgs != nil {
		ca, cb = cfgs[0], cfgs[1]
	}
	a := newNode(t, ctx, url, nodeOpts{cfg: ca})
	b := newNode(t, ctx, url, nodeOpts{cfg: cb})
	for _, c := range cfgs {
		if udpPortFree(c.UDPMuxPort) {
			t.Fatalf("UDP port %d not held by the Coordinator's shared socket", c.UDPMuxPort)
		}
	}
	for i := range 3 {
		if err := a.mgr.Send(ctx, transport.Actor(b.id), protocol.RPCReliable, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range b.in.wait(t, ctx, 3) {
		if m.Wire != transport.WireWebRTC {
			t.Fatalf("a message came over %s", m.Wire)
		}
	}
	if openFDs(t) <= fdsBefore {
		t.Fatal("no sockets open while connected: the fd count does not measure anything")
	}
	a.close()
	b.close()
	if a.co.Sessions()+b.co.Sessions() != 0 {
		t.Fatal("sessions left after Close")
	}
	if err := goleak.Find(baseline); err != nil {
		t.Fatalf("goroutines left after Close: %v", err)
	}
	if after := openFDs(t); after > fdsBefore {
		t.Fatalf("%d file descriptors open after Close, %d before", after, fdsBefore)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors here: %v", err)
	}
	return len(ents)
}

// With the default Config every socket pion opens for a PeerConnection
// goes through the Coordinator's sized network (Config.UDPSocketBuffer);
// with a negative size, none does.
func TestPeerConnectionSocketsAreSized(t *testing.T) {
	for _, tc := range []struct {
		name   string
		buffer int
		sized  bool
	}{{"default", 0, true}, {"os-default", -1, false}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := guard(t)
			url := startSignaling(t)
			cfg := testConfig()
			cfg.UDPSocketBuffer = tc.buffer
			a := newNode(t, ctx, url, nodeOpts{cfg: &cfg})
			b := newNode(t, ctx, url, nodeOpts{cfg: &cfg})
			if err := a.mgr.Send(ctx, transport.Actor(b.id), protocol.RPCReliable, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			b.in.wait(t, ctx, 1)
			for _, n := range []*testNode{a, b} {
				if got := webrtc.SizedSockets(n.co); (got > 0) != tc.sized {
					t.Fatalf("%s: %d sockets sized, want sized: %v", n.id, got, tc.sized)
				}
			}
		})
	}
}

// Zero checksums (RFC 9653) are offered by default and used only when both
// ends offer them; SCTPChecksums withdraws the offer, and a pair where one
// end withdrew it still carries messages both ways, with checksums.
func TestSCTPZeroChecksumIsNegotiated(t *testing.T) {
	for _, tc := range []struct {
		name         string
		keepA, keepB bool
		aSends       bool // a sends zero checksums (b offered them)
		bSends       bool
	}{
		{"both-offer", false, false, true, true},
		{"both-keep", true, true, false, false},
		{"one-keeps", false, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := guard(t)
			url := startSignaling(t)
			cfgA, cfgB := testConfig(), testConfig()
			cfgA.SCTPChecksums, cfgB.SCTPChecksums = tc.keepA, tc.keepB
			a := newNode(t, ctx, url, nodeOpts{cfg: &cfgA})
			b := newNode(t, ctx, url, nodeOpts{cfg: &cfgB})
			if err := a.mgr.Send(ctx, transport.Actor(b.id), protocol.RPCReliable, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			b.in.wait(t, ctx, 1)
			b.events.await(t, ctx, 0, "b to adopt the WebRTC wire", isWireState(transport.WireWebRTC, transport.WireReady))
			if err := b.mgr.Send(ctx, transport.Actor(a.id), protocol.RPCReliable, []byte("hello back")); err != nil {
				t.Fatal(err)
			}
			a.in.wait(t, ctx, 1)
			for _, side := range []struct {
				n, peer     *testNode
				keep, sends bool
			}{{a, b, tc.keepA, tc.aSends}, {b, a, tc.keepB, tc.bSends}} {
				c, ok := side.n.co.Conn(side.peer.id)
				if !ok {
					t.Fatalf("%s has no connected Conn to %s", side.n.id, side.peer.id)
				}
				md, ok := webrtc.SCTPMetadata(c)
				if !ok {
					t.Fatalf("%s: no SCTP association", side.n.id)
				}
				if md.ZeroChecksumSendingEnabled != side.sends || md.ZeroChecksumReceivingEnabled != !side.keep {
					t.Errorf("%s: sending zero checksums %v, accepting them %v; want %v, %v",
						side.n.id, md.ZeroChecksumSendingEnabled, md.ZeroChecksumReceivingEnabled, side.sends, !side.keep)
				}
			}
		})
	}
}

// actrLabels are the labels of the actr runtime's data channels, lane by
// lane (protocol.DataPayloadTypes).
var actrLabels = []string{"RPC_RELIABLE", "RPC_SIGNAL", "STREAM_RELIABLE", "STREAM_LATENCY_FIRST"}
