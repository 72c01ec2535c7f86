package webrtc_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// Both peers behind symmetric NATs: the srflx addresses STUN gives are
// useless to the other side, so the session goes through the TURN relay
// registration named, and works both ways.
func TestNATSymmetricBothSidesGoThroughTheRelay(t *testing.T) {
	ctx := natGuard(t, 60*time.Second)
	w := newNATWorld(t, natOpts{}, natHost{nat: symmetric}, natHost{nat: symmetric})
	a := w.natNode(t, ctx, 0, faultNodeOpts{})
	b := w.natNode(t, ctx, 1, faultNodeOpts{})
	connectPair(t, ctx, a, b, "through the relay")
	connectPair(t, ctx, b, a, "and back")
	for _, n := range []struct {
		node *faultNode
		peer protocol.ActorID
	}{{a, b.id}, {b, a.id}} {
		p := selectedPair(t, ctx, n.node, n.peer)
		t.Logf("%s: %s %s:%d → %s %s:%d", n.node.id, p.Local.Type, p.Local.Address, p.Local.Port, p.Remote.Type, p.Remote.Address, p.Remote.Port)
		if !p.Relayed() {
			t.Fatalf("selected %+v behind symmetric NATs: want a relay", p)
		}
	}
	if c := w.turn.Counters(); c.AllocationsCreated.Load() == 0 || c.RelayedToPeers.Load() == 0 {
		t.Fatalf("TURN server relayed nothing (%d allocations)", c.AllocationsCreated.Load())
	}
}

// One peer behind a full-cone NAT, the other behind a symmetric one: the
// full-cone side's srflx address (learnt from STUN) takes packets from
// anyone, so the session is direct, through that srflx, not relayed,
// though a relay was on offer.
func TestNATFullConeGoesDirectViaSrflx(t *testing.T) {
	ctx := natGuard(t, 60*time.Second)
	w := newNATWorld(t, natOpts{}, natHost{nat: fullCone}, natHost{nat: symmetric})
	cone := w.natNode(t, ctx, 0, faultNodeOpts{})
	sym := w.natNode(t, ctx, 1, faultNodeOpts{})
	connectPair(t, ctx, cone, sym, "direct")
	connectPair(t, ctx, sym, cone, "direct back")
	pc := selectedPair(t, ctx, cone, sym.id)
	ps := selectedPair(t, ctx, sym, cone.id)
	t.Logf("full cone: %+v", pc)
	t.Logf("symmetric: %+v", ps)
	if pc.Relayed() || ps.Relayed() {
		t.Fatalf("relayed (%+v, %+v): want direct", pc, ps)
	}
	// Each side reaches the other at its NAT's public address: a mapping
	// learnt from STUN (srflx) or from the peer's checks through it
	// (prflx, the same mapping the full-cone NAT gives every destination).
	for _, c := range []struct {
		remote webrtc.Candidate
		nat    string
	}{{ps.Remote, "1.2.3.100"}, {pc.Remote, "1.2.3.101"}} {
		if (c.remote.Type != "srflx" && c.remote.Type != "prflx") || c.remote.Address != c.nat {
			t.Fatalf("remote %+v: want the NAT's reflexive address %s", c.remote, c.nat)
		}
	}
}

// UDP blocked between the nodes and everything (a firewall that lets
// only TCP out): STUN and TURN over UDP fail, TURN over TCP gets each node
// a relay, and the session goes through it.
func TestNATUDPBlockedGoesThroughTURNOverTCP(t *testing.T) {
	ctx := natGuard(t, 60*time.Second)
	w := newNATWorld(t, natOpts{tcpTURN: true}, natHost{nat: symmetric}, natHost{nat: symmetric})
	w.udpOK.Store(false)
	a := w.natNode(t, ctx, 0, faultNodeOpts{})
	b := w.natNode(t, ctx, 1, faultNodeOpts{})
	connectPair(t, ctx, a, b, "over TCP to the relay")
	for _, n := range []struct {
		node *faultNode
		peer protocol.ActorID
	}{{a, b.id}, {b, a.id}} {
		p := selectedPair(t, ctx, n.node, n.peer)
		t.Logf("%s: %+v", n.node.id, p)
		if p.Local.Type != "relay" || p.Local.RelayProtocol != "tcp" {
			t.Fatalf("selected %+v with UDP blocked: want a local relay reached over TCP", p)
		}
	}
}

// UDP blocked and no TURN over TCP: WebRTC cannot connect (its attempts
// fail, as ICE finds no pair), and the WebSocket wire carries the
// traffic meanwhile.
func TestNATNoUDPNoTCPTURNFallsBackToWebSocket(t *testing.T) {
	ctx := natGuard(t, 60*time.Second)
	w := newNATWorld(t, natOpts{}, natHost{nat: symmetric}, natHost{nat: symmetric})
	w.udpOK.Store(false)
	a := w.natNode(t, ctx, 0, faultNodeOpts{websocket: true})
	b := w.natNode(t, ctx, 1, faultNodeOpts{websocket: true})
	mark := a.events.mark()
	connectPair(t, ctx, a, b, "over WebSocket")
	tr, err := a.mgr.GetOrCreateTransport(ctx, transport.Actor(b.id))
	if err != nil {
		t.Fatal(err)
	}
	for _, wi := range tr.Pool().Wires() {
		if wi.Kind == transport.WireWebRTC && wi.State == transport.WireReady {
			t.Fatal("WebRTC is ready with UDP blocked and no TURN over TCP")
		}
	}
	ev, _ := a.events.await(t, ctx, mark, "a failed WebRTC connect attempt", func(ev transport.Event) bool {
		return ev.Kind == transport.EventConnectAttemptFailed && ev.WireKind == transport.WireWebRTC
	})
	t.Logf("WebRTC: %v", ev.Err)
	// Still carried, over WebSocket, after WebRTC gave up an attempt.
	connectPair(t, ctx, a, b, "still over WebSocket")
	if w.turn.Counters().AllocationsCreated.Load() != 0 {
		t.Fatal("a relay was allocated with UDP blocked and no TCP listener")
	}
}

// A node's network changes mid-stream (its address goes away, another
// takes over, as on a switch from Wi-Fi to Ethernet): ICE restarts onto
// the other address, and every message sent before, during and after
// arrives, in order.
func TestNATAddressChangeMidStreamRecoversInOrder(t *testing.T) {
	ctx := natGuard(t, 90*time.Second)
	w := newNATWorld(t, natOpts{stunOnly: true}, natHost{ips: []string{"1.2.3.10", "1.2.3.11"}}, natHost{ips: []string{"1.2.3.20"}})
	a := w.natNode(t, ctx, 0, faultNodeOpts{})
	b := w.natNode(t, ctx, 1, faultNodeOpts{})
	connectPair(t, ctx, a, b, "hello")
	before := selectedPair(t, ctx, a, b.id)
	// Both hosts are public: a pair is direct, whether pion nominated the
	// host candidate or the srflx one STUN reported at the same address
	// (no NAT between, so it is that host's own address).
	if before.Relayed() || !ownAddress(before.Local, w.hostIPs(0)) {
		t.Fatalf("pair %+v before the switch: want a direct pair from one of a's own addresses", before)
	}
	offerer, _ := ordered(a, b)
	mark := offerer.events.mark()

	const perPhase = 100
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if err := a.mgr.Send(ctx, transport.Actor(b.id), protocol.RPCReliable, []byte(fmt.Sprint(i))); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
	}
	send(0, perPhase)
	b.in.wait(t, ctx, 1+perPhase)
	old := before.Local.Address
	w.blocked.Store(&old) // the address is gone: nothing reaches it or leaves it
	send(perPhase, 2*perPhase)
	ev, _ := offerer.events.await(t, ctx, mark, "a completed ICE restart", func(ev transport.Event) bool {
		return ev.Kind == transport.EventICERestartCompleted && ev.Err == nil
	})
	t.Logf("restart: %s", ev.Reason)
	send(2*perPhase, 3*perPhase)
	msgs := b.in.wait(t, ctx, 1+3*perPhase)
	for i, m := range msgs[1:] {
		if string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("message %d is %q: lost or out of order", i, m.Data)
		}
	}
	after := selectedPair(t, ctx, a, b.id)
	t.Logf("before %s:%d, after %s:%d", before.Local.Address, before.Local.Port, after.Local.Address, after.Local.Port)
	if after.Relayed() || !ownAddress(after.Local, w.hostIPs(0)) || after.Local.Address == old {
		t.Fatalf("pair %+v after the switch (%+v before): want a direct pair from a's other address", after, before)
	}
}

// A relayed session outlives its TURN credential: once the credential
// has expired the server refuses the allocation's refresh (counted), the
// relay ends, and the ICE restart that follows gathers with the
// credential renewed meanwhile, onto a new allocation.
func TestNATRelayOutlivesItsTURNCredential(t *testing.T) {
	ctx := natGuard(t, 60*time.Second)
	w := newNATWorld(t, natOpts{allocationLifetime: 2 * time.Second, credentialTTL: 9 * time.Second, heartbeat: time.Second},
		natHost{nat: symmetric}, natHost{nat: symmetric})
	// A restart waits ICEFailedTimeout to be restored, and pion nominates
	// a relay pair only after 2 s: the test's 2 s timeout would give up
	// on every relayed restart.
	slowerICE := faultNodeOpts{config: func(c *webrtc.Config) { c.ICEFailedTimeout = 6 * time.Second }}
	a := w.natNode(t, ctx, 0, slowerICE)
	b := w.natNode(t, ctx, 1, slowerICE)
	connectPair(t, ctx, a, b, "relayed")
	if p := selectedPair(t, ctx, a, b.id); !p.Relayed() {
		t.Fatalf("selected %+v: want a relay", p)
	}
	offerer, _ := ordered(a, b)
	mark := offerer.events.mark()
	allocs := w.turn.Counters().AllocationsCreated.Load()
	ev, _ := offerer.events.await(t, ctx, mark, "an ICE restart completed", func(ev transport.Event) bool {
		return ev.Kind == transport.EventICERestartCompleted && ev.Err == nil
	})
	t.Logf("restart completed %v", ev.Time.Format(time.StampMilli))
	connectPair(t, ctx, a, b, "relayed again")
	connectPair(t, ctx, b, a, "and back")
	if p := selectedPair(t, ctx, a, b.id); !p.Relayed() {
		t.Fatalf("after the restart %+v: want a relay", p)
	}
	c := w.turn.Counters()
	if c.RefusedExpired.Load() == 0 || c.AllocationsCreated.Load() <= allocs {
		t.Fatalf("expired refusals %d, allocations %d (were %d): want the old refresh refused and a new allocation",
			c.RefusedExpired.Load(), c.AllocationsCreated.Load(), allocs)
	}
}

// ownAddress reports whether c is a direct candidate at one of the
// host's addresses: its host candidate, or a srflx or prflx one that
// maps to the host itself (a public host, no NAT between).
func ownAddress(c webrtc.Candidate, ips []string) bool {
	switch c.Type {
	case "host", "srflx", "prflx":
		return slices.Contains(ips, c.Address)
	}
	return false
}
