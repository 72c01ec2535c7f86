package webrtc

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"

	"github.com/pion/datachannel"
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// pionPeer is a peer that is not a Coordinator: a plain pion
// PeerConnection on a pipeHub, which opens, accepts and uses data
// channels the way the test tells it, as an actr node would (in-band,
// labelled, our fragment header written and read by the test). It offers
// (offer) or answers the node's offers (its pump does), with every
// candidate in its SDP; the node's trickled candidates are added as they
// come. Everything it runs is ended when the test ends.
type pionPeer struct {
	t    testing.TB
	id   protocol.ActorID
	sig  *pipeSig
	node protocol.ActorID
	pc   *pion.PeerConnection

	mu      sync.Mutex
	chans   []*peerChan   // every channel that opened, in that order
	changed chan struct{} // closed and replaced when chans changes
	offers  []string      // the SDP of every offer the node sent
	// arrived is the labels of the node's channels in the order they
	// arrived (pion's accept loop takes them one by one; their OnOpen
	// callbacks then race).
	arrived []string

	msgs    chan peerMsg
	stop    chan struct{}
	readers sync.WaitGroup
	pumped  chan struct{}
}

// peerChan is one open channel of a pionPeer.
type peerChan struct {
	label  string
	dc     *pion.DataChannel
	rwc    datachannel.ReadWriteCloser
	local  bool          // the pionPeer opened it (else the node did)
	closed chan struct{} // closed when its reader ends
}

type peerMsg struct {
	ch   *peerChan
	data []byte
}

func newPionPeer(t testing.TB, hub *pipeHub, id string, node protocol.ActorID) *pionPeer {
	t.Helper()
	st, err := hostileConfig().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := st.api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		_ = st.close()
		t.Fatal(err)
	}
	aid := protocol.MustParseActorID(id)
	p := &pionPeer{t: t, id: aid, sig: hub.join(aid), node: node, pc: pc, changed: make(chan struct{}),
		msgs: make(chan peerMsg, 1024), stop: make(chan struct{}), pumped: make(chan struct{})}
	pc.OnDataChannel(func(dc *pion.DataChannel) {
		p.mu.Lock()
		p.arrived = append(p.arrived, dc.Label())
		p.mu.Unlock()
		dc.OnOpen(func() { p.opened(dc, false) })
	})
	go p.pump()
	t.Cleanup(func() {
		close(p.stop)
		<-p.pumped
		_ = pc.Close()
		p.mu.Lock()
		chans := p.chans
		p.mu.Unlock()
		for _, ch := range chans {
			_ = ch.rwc.Close()
		}
		p.readers.Wait()
		_ = st.close()
	})
	return p
}

// open creates a channel of the peer's, in-band unless init says
// otherwise; it is recorded, and read, once open.
func (p *pionPeer) open(label string, init *pion.DataChannelInit) *pion.DataChannel {
	p.t.Helper()
	dc, err := p.pc.CreateDataChannel(label, init)
	if err != nil {
		p.t.Fatal(err)
	}
	dc.OnOpen(func() { p.opened(dc, true) })
	return dc
}

// reliableInit and latencyInit are actr's QoS of the reliable lanes and
// of STREAM_LATENCY_FIRST.
func reliableInit() *pion.DataChannelInit {
	ordered := true
	return &pion.DataChannelInit{Ordered: &ordered}
}

func latencyInit() *pion.DataChannelInit {
	ordered, r := false, uint16(LatencyFirstMaxRetransmits)
	return &pion.DataChannelInit{Ordered: &ordered, MaxRetransmits: &r}
}

func (p *pionPeer) opened(dc *pion.DataChannel, local bool) {
	rwc, err := dc.Detach()
	if err != nil {
		p.t.Errorf("detaching %s: %v", dc.Label(), err)
		return
	}
	ch := &peerChan{label: dc.Label(), dc: dc, rwc: rwc, local: local, closed: make(chan struct{})}
	p.mu.Lock()
	p.chans = append(p.chans, ch)
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	p.readers.Go(func() {
		defer close(ch.closed)
		buf := make([]byte, MaxChannelMessage)
		for {
			n, _, err := rwc.ReadDataChannel(buf)
			if err != nil {
				return
			}
			select {
			case p.msgs <- peerMsg{ch: ch, data: append([]byte(nil), buf[:n]...)}:
			case <-p.stop:
				return
			}
		}
	})
}

// waitChans waits until the channels that opened satisfy ok, and
// returns them.
func (p *pionPeer) waitChans(ctx context.Context, ok func([]*peerChan) bool) []*peerChan {
	p.t.Helper()
	for {
		p.mu.Lock()
		chans, changed := append([]*peerChan(nil), p.chans...), p.changed
		p.mu.Unlock()
		if ok(chans) {
			return chans
		}
		select {
		case <-changed:
		case <-ctx.Done():
			p.t.Fatalf("waiting for the peer's channels (has %d): %v", len(chans), ctx.Err())
		}
	}
}

// chanOf waits for an open channel labelled label (opened by the peer if
// local, else by the node) and returns the first.
func (p *pionPeer) chanOf(ctx context.Context, label string, local bool) *peerChan {
	p.t.Helper()
	var found *peerChan
	p.waitChans(ctx, func(chans []*peerChan) bool {
		for _, ch := range chans {
			if ch.label == label && ch.local == local {
				found = ch
				return true
			}
		}
		return false
	})
	return found
}

// chanFor waits until dc, which the peer opened, is open and recorded.
func (p *pionPeer) chanFor(ctx context.Context, dc *pion.DataChannel) *peerChan {
	p.t.Helper()
	var found *peerChan
	p.waitChans(ctx, func(chans []*peerChan) bool {
		for _, ch := range chans {
			if ch.dc == dc {
				found = ch
				return true
			}
		}
		return false
	})
	return found
}

// recv returns the next message the peer read, on any channel.
func (p *pionPeer) recv(ctx context.Context) peerMsg {
	p.t.Helper()
	select {
	case m := <-p.msgs:
		return m
	case <-ctx.Done():
		p.t.Fatalf("the peer read nothing: %v", ctx.Err())
		return peerMsg{}
	}
}

// offer sends the node an offer of the channels created so far.
func (p *pionPeer) offer(ctx context.Context) {
	p.t.Helper()
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	gathered := pion.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(o); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		p.t.Fatal("the peer's candidates were not gathered")
	}
	sdp, id := p.pc.LocalDescription().SDP, "00000000000000a1"
	_ = p.sig.SendSessionDescription(p.node, &protocol.SessionDescription{Type: protocol.SessionDescription_OFFER.Enum(), Sdp: &sdp, SdpExchangeId: &id})
}

// pump applies what the node relays to the peer: it answers offers,
// takes answers and adds candidates (kept until a remote description is
// set).
func (p *pionPeer) pump() {
	defer close(p.pumped)
	var pending []pion.ICECandidateInit
	haveRemote := false
	remoteSet := func() {
		haveRemote = true
		for _, c := range pending {
			if err := p.pc.AddICECandidate(c); err != nil {
				p.t.Errorf("the peer adding a candidate: %v", err)
			}
		}
		pending = nil
	}
	for {
		var r signaling.Relay
		select {
		case r = <-p.sig.relays:
		case <-p.stop:
			return
		}
		msg := r.Msg
		switch {
		case msg.GetSessionDescription() != nil:
			sd := msg.GetSessionDescription()
			switch sd.GetType() {
			case protocol.SessionDescription_OFFER, protocol.SessionDescription_ICE_RESTART_OFFER:
				p.mu.Lock()
				p.offers = append(p.offers, sd.GetSdp())
				p.mu.Unlock()
				if err := p.answer(sd); err != nil {
					if !errors.Is(err, errPeerStopped) {
						p.t.Errorf("the peer answering: %v", err)
					}
					return
				}
				remoteSet()
			case protocol.SessionDescription_ANSWER:
				if err := p.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: sd.GetSdp()}); err != nil {
					p.t.Errorf("the peer taking the answer: %v", err)
					return
				}
				remoteSet()
			}
		case msg.GetIceCandidate() != nil:
			c := msg.GetIceCandidate()
			init := pion.ICECandidateInit{Candidate: c.GetCandidate(), SDPMid: c.SdpMid, UsernameFragment: c.UsernameFragment}
			if c.SdpMlineIndex != nil {
				idx := uint16(c.GetSdpMlineIndex())
				init.SDPMLineIndex = &idx
			}
			if !haveRemote {
				pending = append(pending, init)
			} else if err := p.pc.AddICECandidate(init); err != nil {
				p.t.Errorf("the peer adding a candidate: %v", err)
			}
		}
	}
}

var errPeerStopped = errors.New("the test ended")

func (p *pionPeer) answer(sd *protocol.SessionDescription) error {
	if err := p.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: sd.GetSdp()}); err != nil {
		return err
	}
	a, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered := pion.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(a); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-p.stop:
		return errPeerStopped
	}
	sdp, id := p.pc.LocalDescription().SDP, sd.GetSdpExchangeId()
	return p.sig.SendSessionDescription(p.node, &protocol.SessionDescription{Type: protocol.SessionDescription_ANSWER.Enum(), Sdp: &sdp, SdpExchangeId: &id})
}

// frame is one channel message with our fragment header (fragment.go),
// written by hand: message id u32, index u16, total u16, big-endian.
func frame(msgID uint32, index, total uint16, chunk []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, msgID)
	b = binary.BigEndian.AppendUint16(b, index)
	b = binary.BigEndian.AppendUint16(b, total)
	return append(b, chunk...)
}

// unframe splits a channel message into its fragment header and chunk.
func unframe(t testing.TB, b []byte) (msgID uint32, index, total uint16, chunk []byte) {
	t.Helper()
	if len(b) < 8 {
		t.Fatalf("a %d-byte channel message has no fragment header", len(b))
	}
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:]), b[8:]
}
