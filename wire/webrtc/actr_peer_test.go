package webrtc

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
)

// The tests of this file talk to a plain pion PeerConnection (pionPeer)
// that opens and takes data channels as the actr runtime does: in-band,
// labelled with the payload types' names, our fragment header on every
// message.

// adopted waits for the Conn node accepted from a peer.
func adopted(t *testing.T, ctx context.Context, node *hubNode) *Conn {
	t.Helper()
	select {
	case c := <-node.acc.adopted:
		return c
	case <-ctx.Done():
		t.Fatal("the node adopted no Conn of the peer")
		return nil
	}
}

// countLabel counts the open channels of c labelled label.
func countLabel(chans []ChannelInfo, label string) int {
	n := 0
	for _, ch := range chans {
		if ch.Label == label {
			n++
		}
	}
	return n
}

// checkQoS reports a peer's channel whose QoS is not its lane's.
func checkQoS(t *testing.T, ch *peerChan) {
	t.Helper()
	i := labelIndex(ch.label)
	if i < 0 {
		t.Fatalf("a channel labelled %q", ch.label)
	}
	spec := channelSpecs[i]
	r := ch.dc.MaxRetransmits()
	switch {
	case ch.dc.Negotiated():
		t.Errorf("%s is pre-negotiated, want in-band", ch.label)
	case spec.reliable() && (!ch.dc.Ordered() || r != nil):
		t.Errorf("%s: ordered %v, max retransmits %v: want reliable and ordered", ch.label, ch.dc.Ordered(), r)
	case !spec.reliable() && (ch.dc.Ordered() || r == nil || *r != LatencyFirstMaxRetransmits):
		t.Errorf("%s: ordered %v, max retransmits %v: want unordered with %d", ch.label, ch.dc.Ordered(), r, LatencyFirstMaxRetransmits)
	}
}

// An actr peer offers with RPC_RELIABLE alone. The node answers, is
// Ready, and works on all four payload types both ways: it opens the
// three missing channels itself, in-band and labelled, when it first
// sends on them, and the peer sends back on those.
func TestActrPeerOffersOnlyRPCReliable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	rec := newRecorder()
	node := newHubNode(t, hub, "acme:node@1.1", hostileConfig(), rec)
	peer := newPionPeer(t, hub, "acme:peer@1.2", node.id)
	peer.open("RPC_RELIABLE", reliableInit())
	peer.offer(ctx)
	c := adopted(t, ctx, node)
	if !c.Ready() {
		t.Fatal("the adopted Conn is not Ready")
	}
	if got := c.Channels(); len(got) != 1 || got[0].Label != "RPC_RELIABLE" || got[0].Local {
		t.Fatalf("the node's channels once Ready: %+v, want the peer's RPC_RELIABLE alone", got)
	}

	for i, pt := range protocol.DataPayloadTypes() {
		data := fmt.Appendf(nil, "to the peer on %s", pt)
		lane, err := c.Lane(pt)
		if err != nil {
			t.Fatal(err)
		}
		if err := lane.Send(ctx, data); err != nil {
			t.Fatalf("sending on %s: %v", pt, err)
		}
		m := peer.recv(ctx)
		if m.ch.label != channelSpecs[i].label || m.ch.local != (i == 0) {
			t.Fatalf("%s arrived on %s (the peer's own: %v)", pt, m.ch.label, m.ch.local)
		}
		checkQoS(t, m.ch)
		if _, index, total, chunk := unframe(t, m.data); index != 0 || total != 1 || !bytes.Equal(chunk, data) {
			t.Fatalf("%s: fragment %d of %d, %q, want 0 of 1, %q", pt, index, total, chunk, data)
		}
	}
	for i, spec := range channelSpecs {
		ch := peer.chanOf(ctx, spec.label, i == 0)
		data := fmt.Appendf(nil, "to the node on %s", spec.label)
		if _, err := ch.rwc.Write(frame(1, 0, 1, data)); err != nil {
			t.Fatal(err)
		}
		m, err := rec.next(ctx, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", spec.label, err)
		}
		if m.Type != spec.pt || !bytes.Equal(m.Data, data) {
			t.Fatalf("the node got %s %q, want %s %q", m.Type, m.Data, spec.pt, data)
		}
	}
	chans := c.Channels()
	if len(chans) != 4 {
		t.Fatalf("the node has %d channels, want 4: %+v", len(chans), chans)
	}
	for i, ch := range chans {
		if ch.Label != channelSpecs[i].label || ch.Local != (i > 0) || !ch.Sending {
			t.Errorf("the node's channel %d: %+v", i, ch)
		}
	}
	if n := node.co.counters.RefusedChannels.Load(); n != 0 {
		t.Errorf("%d channels refused", n)
	}
}

// As answerer, an actr peer receives our four labelled channels, opened
// in-band, RPC_RELIABLE first, after an offer with an application m-line;
// messages go both ways on each with our fragment header, fragmented
// ones included.
func TestActrPeerAnswersOurInBandChannels(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	node := newHubNode(t, hub, "acme:node@1.1", hostileConfig(), newRecorder())
	peer := newPionPeer(t, hub, "acme:peer@1.2", node.id)
	if node.id.Compare(peer.id) >= 0 {
		t.Fatal("the node must be the one that offers")
	}
	rec := newRecorder()
	c := node.dial(t, ctx, peer.id, rec)

	peer.waitChans(ctx, func(chans []*peerChan) bool { return len(chans) >= 4 })
	chans := make([]*peerChan, len(channelSpecs))
	for i, spec := range channelSpecs {
		chans[i] = peer.chanOf(ctx, spec.label, false)
		checkQoS(t, chans[i])
	}
	peer.mu.Lock()
	offer, arrived := peer.offers[0], peer.arrived
	peer.mu.Unlock()
	// The node opened RPC_RELIABLE first: pion gives stream ids in the
	// order channels open. (Which DCEP open arrives first is SCTP's
	// choice: two pion ends negotiate RFC 8260 interleaving, whose
	// weighted fair scheduler sends the shortest message first, and
	// RPC_SIGNAL's open is two bytes shorter; a peer without
	// interleaving gets them in the order they were opened.)
	for i := 1; i < len(chans); i++ {
		if *chans[i].dc.ID() <= *chans[i-1].dc.ID() {
			t.Fatalf("the node opened %s (stream %d) before %s (stream %d)", chans[i].label, *chans[i].dc.ID(), chans[i-1].label, *chans[i-1].dc.ID())
		}
	}
	slices.Sort(arrived)
	if want := []string{"RPC_RELIABLE", "RPC_SIGNAL", "STREAM_LATENCY_FIRST", "STREAM_RELIABLE"}; !slices.Equal(arrived, want) {
		t.Fatalf("the node's channels that arrived: %q, want %q", arrived, want)
	}
	if !strings.Contains(offer, "m=application ") {
		t.Fatalf("the node's offer has no application m-line:\n%s", offer)
	}

	big := bytes.Repeat([]byte("0123456789abcdef"), 100000/16)
	for i, pt := range protocol.DataPayloadTypes() {
		lane, err := c.Lane(pt)
		if err != nil {
			t.Fatal(err)
		}
		data := fmt.Appendf(nil, "to the peer on %s", pt)
		if err := lane.Send(ctx, data); err != nil {
			t.Fatal(err)
		}
		m := peer.recv(ctx)
		if m.ch != chans[i] {
			t.Fatalf("%s arrived on %s", pt, m.ch.label)
		}
		if _, index, total, chunk := unframe(t, m.data); index != 0 || total != 1 || !bytes.Equal(chunk, data) {
			t.Fatalf("%s: fragment %d of %d, %q", pt, index, total, chunk)
		}
		if _, err := chans[i].rwc.Write(frame(9, 0, 1, data)); err != nil {
			t.Fatal(err)
		}
		if m, err := rec.next(ctx, 10*time.Second); err != nil || m.Type != pt || !bytes.Equal(m.Data, data) {
			t.Fatalf("the node got %s %q (%v), want %s %q", m.Type, m.Data, err, pt, data)
		}
	}
	// A message of two fragments each way on RPC_RELIABLE.
	lane, _ := c.Lane(protocol.RPCReliable)
	if err := lane.Send(ctx, big); err != nil {
		t.Fatal(err)
	}
	var got []byte
	var firstID uint32
	for i := range 2 {
		m := peer.recv(ctx)
		id, index, total, chunk := unframe(t, m.data)
		if i == 0 {
			firstID = id
		}
		if m.ch != chans[0] || id != firstID || index != uint16(i) || total != 2 {
			t.Fatalf("fragment %d: message %d, %d of %d on %s", i, id, index, total, m.ch.label)
		}
		got = append(got, chunk...)
	}
	if !bytes.Equal(got, big) {
		t.Fatal("the fragments do not make the message")
	}
	for i := range 2 {
		chunk := big[i*MaxChunkSize : min(len(big), (i+1)*MaxChunkSize)]
		if _, err := chans[0].rwc.Write(frame(10, uint16(i), 2, chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if m, err := rec.next(ctx, 10*time.Second); err != nil || !bytes.Equal(m.Data, big) {
		t.Fatalf("the node did not reassemble the peer's two fragments: %v", err)
	}
}

// Both sides open the same lane's channel: the node (sending first on a
// lane the peer had not opened) and the peer (as though it had not seen
// the node's yet). The lane has two channels: the node reads both, sends
// on the one that opened first for it (its own), and nothing is refused.
// Then both open another lane at the same moment, racing: whether one
// channel results or two, both directions work.
func TestBothSidesOpenTheSameLabel(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	rec := newRecorder()
	node := newHubNode(t, hub, "acme:node@1.1", hostileConfig(), rec)
	peer := newPionPeer(t, hub, "acme:peer@1.2", node.id)
	peer.open("RPC_RELIABLE", reliableInit())
	peer.offer(ctx)
	c := adopted(t, ctx, node)

	sig, _ := c.Lane(protocol.RPCSignal)
	if err := sig.Send(ctx, []byte("one")); err != nil {
		t.Fatal(err)
	}
	nodes := peer.chanOf(ctx, "RPC_SIGNAL", false)
	if m := peer.recv(ctx); m.ch != nodes {
		t.Fatalf("the node's first RPC_SIGNAL arrived on %s", m.ch.label)
	}
	peer.open("RPC_SIGNAL", reliableInit())
	peers := peer.chanOf(ctx, "RPC_SIGNAL", true)
	chans, ok := AwaitChannels(ctx, c, func(c []ChannelInfo) bool { return countLabel(c, "RPC_SIGNAL") == 2 })
	if !ok {
		t.Fatalf("the node's channels: %+v, want two RPC_SIGNAL", chans)
	}
	for _, ch := range chans {
		if ch.Label == "RPC_SIGNAL" && ch.Sending != ch.Local {
			t.Errorf("the node's RPC_SIGNAL channels: %+v: want it sending on its own", chans)
		}
	}
	for _, ch := range []*peerChan{nodes, peers} {
		data := fmt.Appendf(nil, "on the one the peer's side calls local=%v", ch.local)
		if _, err := ch.rwc.Write(frame(1, 0, 1, data)); err != nil {
			t.Fatal(err)
		}
		if m, err := rec.next(ctx, 10*time.Second); err != nil || m.Type != protocol.RPCSignal || !bytes.Equal(m.Data, data) {
			t.Fatalf("the node got %s %q (%v), want RPC_SIGNAL %q", m.Type, m.Data, err, data)
		}
	}
	for range 3 {
		if err := sig.Send(ctx, []byte("two")); err != nil {
			t.Fatal(err)
		}
		if m := peer.recv(ctx); m.ch != nodes {
			t.Fatalf("the node switched to the peer's RPC_SIGNAL channel")
		}
	}

	// The race: the node's first Send on STREAM_RELIABLE, and the peer's
	// open of it, at once.
	sent := make(chan error, 1)
	stream, _ := c.Lane(protocol.StreamReliable)
	go func() { sent <- stream.Send(ctx, []byte("raced")) }()
	peer.open("STREAM_RELIABLE", reliableInit())
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if m := peer.recv(ctx); m.ch.label != "STREAM_RELIABLE" {
		t.Fatalf("the raced message arrived on %s", m.ch.label)
	}
	own := peer.chanOf(ctx, "STREAM_RELIABLE", true)
	if _, err := own.rwc.Write(frame(1, 0, 1, []byte("back"))); err != nil {
		t.Fatal(err)
	}
	if m, err := rec.next(ctx, 10*time.Second); err != nil || m.Type != protocol.StreamReliable {
		t.Fatalf("the node got %s (%v), want STREAM_RELIABLE", m.Type, err)
	}
	chans = c.Channels()
	if n := countLabel(chans, "STREAM_RELIABLE"); n != 1 && n != 2 {
		t.Errorf("%d STREAM_RELIABLE channels", n)
	}
	if n := node.co.counters.RefusedChannels.Load(); n != 0 {
		t.Errorf("%d channels refused", n)
	}
	if !c.Ready() {
		t.Error("the Conn is not Ready")
	}
	t.Logf("the race made %d STREAM_RELIABLE channels", countLabel(chans, "STREAM_RELIABLE"))
}

// waitClosed waits until the node closed a channel of the peer's.
func waitClosed(t *testing.T, ctx context.Context, ch *peerChan, what string) {
	t.Helper()
	select {
	case <-ch.closed:
	case <-ctx.Done():
		t.Fatalf("the node did not close %s", what)
	}
}

// TestHostileDataChannels: a peer opens a channel with an unknown label,
// a second RPC_RELIABLE while its first is open, an RPC_SIGNAL that is
// unordered, and (closing and reopening one) more channels than the
// session's budget of 8: each is closed at once and counted, and the
// session goes on. Then it floods channels: the session is given up after
// maxRefusedChannels refusals, and a legitimate peer of the node is not
// disturbed.
func TestHostileDataChannels(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	hub := newPipeHub()
	rec := newRecorder()
	node := newHubNode(t, hub, "acme:node@1.1", hostileConfig(), rec)
	friend := newHubNode(t, hub, "acme:friend@1.3", hostileConfig(), newRecorder())
	friendConn := friend.dial(t, ctx, node.id, newRecorder())
	evil := newPionPeer(t, hub, "acme:evil@1.2", node.id)
	evil.open("RPC_RELIABLE", reliableInit())
	evil.offer(ctx)
	var c *Conn
	for c == nil || c.Remote() != evil.id {
		c = adopted(t, ctx, node)
	}
	refused := &node.co.counters.RefusedChannels
	refuse := func(what, label string, init func() *pion.DataChannelInit) {
		t.Helper()
		before := refused.Load()
		ch := evil.chanFor(ctx, evil.open(label, init()))
		waitClosed(t, ctx, ch, what)
		if got := refused.Load(); got != before+1 {
			t.Fatalf("%s: RefusedChannels %d → %d, want it counted", what, before, got)
		}
		if !c.Ready() {
			t.Fatalf("%s: the session is not Ready", what)
		}
	}
	refuse("an unknown label", "EVIL", reliableInit)
	refuse("a second RPC_RELIABLE", "RPC_RELIABLE", reliableInit)
	refuse("an unordered RPC_SIGNAL", "RPC_SIGNAL", latencyInit)

	// The budget: the node opens STREAM_RELIABLE (2 channels so far); the
	// peer opens and closes its own, 6 times (8), and the 7th is refused.
	stream, _ := c.Lane(protocol.StreamReliable)
	if err := stream.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if m := evil.recv(ctx); m.ch.label != "STREAM_RELIABLE" {
		t.Fatalf("got a message on %s", m.ch.label)
	}
	for i := range maxSessionChannels - 2 {
		dc := evil.open("STREAM_RELIABLE", reliableInit())
		if _, ok := AwaitChannels(ctx, c, func(c []ChannelInfo) bool { return countLabel(c, "STREAM_RELIABLE") == 2 }); !ok {
			t.Fatalf("reopening %d: the node did not take the peer's STREAM_RELIABLE", i)
		}
		_ = evil.chanFor(ctx, dc).rwc.Close()
		if _, ok := AwaitChannels(ctx, c, func(c []ChannelInfo) bool { return countLabel(c, "STREAM_RELIABLE") == 1 }); !ok {
			t.Fatalf("reopening %d: the node did not drop the peer's closed STREAM_RELIABLE", i)
		}
	}
	refuse("a channel over the session's budget", "STREAM_RELIABLE", reliableInit)
	if err := stream.Send(ctx, []byte("still")); err != nil {
		t.Fatal(err)
	}
	if m := evil.recv(ctx); !strings.HasSuffix(string(m.data), "still") {
		t.Fatalf("got %q", m.data)
	}
	if n := refused.Load(); n != 4 {
		t.Fatalf("RefusedChannels %d, want 4", n)
	}

	// The flood.
	for i := range maxRefusedChannels {
		evil.open(fmt.Sprintf("FLOOD-%d", i), reliableInit())
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatalf("the session outlived %d refused channels (%d counted)", maxRefusedChannels, refused.Load())
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("the session ended with %v", err)
	}
	if n := refused.Load(); n < maxRefusedChannels {
		t.Fatalf("RefusedChannels %d, want at least %d", n, maxRefusedChannels)
	}
	lane, _ := friendConn.Lane(protocol.RPCReliable)
	if err := lane.Send(ctx, []byte("friend")); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := rec.next(ctx, 10*time.Second)
		if err != nil {
			t.Fatalf("the friend's message: %v", err)
		}
		if m.From == friend.id {
			break
		}
	}
}
