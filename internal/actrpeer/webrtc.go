package actrpeer

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"

	pion "github.com/pion/webrtc/v4"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// Labels are the actr runtime's data channel labels, one per payload type.
var Labels = map[protocol.PayloadType]string{
	protocol.PayloadType_RPC_RELIABLE:         "RPC_RELIABLE",
	protocol.PayloadType_RPC_SIGNAL:           "RPC_SIGNAL",
	protocol.PayloadType_STREAM_RELIABLE:      "STREAM_RELIABLE",
	protocol.PayloadType_STREAM_LATENCY_FIRST: "STREAM_LATENCY_FIRST",
}

// maxChunk is the largest chunk behind one 8-byte fragment header.
const maxChunk = 65535 - 8

type rtcSession struct {
	p       *Peer
	remote  *protocol.ActrId
	pc      *pion.PeerConnection
	offerer bool

	mu       sync.Mutex
	exchange string // sdp_exchange_id of the current offer/answer
	haveSDP  bool   // remote description set
	early    []pion.ICECandidateInit
	channels map[protocol.PayloadType]*pion.DataChannel // open, by lane
	created  map[protocol.PayloadType]bool              // this side has opened one
	opened   map[protocol.PayloadType]chan struct{}
	partial  map[string][][]byte // label/msg id → fragments
	nextMsg  uint32
	// Connected is closed once RPC_RELIABLE is open.
	connected chan struct{}
	once      sync.Once
}

func (p *Peer) api() *pion.API {
	var se pion.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	return pion.NewAPI(pion.WithSettingEngine(se))
}

func (p *Peer) newSession(remote *protocol.ActrId, offerer bool) (*rtcSession, error) {
	pc, err := p.api().NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, err
	}
	s := &rtcSession{p: p, remote: remote, pc: pc, offerer: offerer,
		channels: map[protocol.PayloadType]*pion.DataChannel{}, created: map[protocol.PayloadType]bool{}, opened: map[protocol.PayloadType]chan struct{}{},
		partial: map[string][][]byte{}, connected: make(chan struct{})}
	for pt := range Labels {
		s.opened[pt] = make(chan struct{})
	}
	pc.OnICECandidate(func(c *pion.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		ic := &protocol.IceCandidate{Candidate: proto.String(init.Candidate)}
		if init.SDPMid != nil {
			ic.SdpMid = proto.String(*init.SDPMid)
		}
		if init.SDPMLineIndex != nil {
			ic.SdpMlineIndex = proto.Uint32(uint32(*init.SDPMLineIndex))
		}
		p.spawn(func() {
			if err := p.relay(p.ctx, remote, func(r *protocol.ActrRelay) { r.Payload = &protocol.ActrRelay_IceCandidate{IceCandidate: ic} }); err != nil {
				p.logf("sending a candidate: %v", err)
			}
		})
	})
	pc.OnDataChannel(func(dc *pion.DataChannel) {
		for pt, l := range Labels {
			if dc.Label() == l {
				s.adopt(pt, dc)
				return
			}
		}
		p.logf("closing a data channel with a label actr does not use: %q", dc.Label())
		_ = dc.Close()
	})
	p.mu.Lock()
	if old := p.sessions[hexID(remote)]; old != nil {
		defer old.close()
	}
	p.sessions[hexID(remote)] = s
	close(p.added)
	p.added = make(chan struct{})
	p.mu.Unlock()
	return s, nil
}

// adopt makes dc the channel of pt (the first one opened wins for
// sending; every one is read).
func (s *rtcSession) adopt(pt protocol.PayloadType, dc *pion.DataChannel) {
	dc.OnOpen(func() {
		s.mu.Lock()
		if s.channels[pt] == nil {
			s.channels[pt] = dc
			close(s.opened[pt])
		}
		s.mu.Unlock()
		if pt == protocol.PayloadType_RPC_RELIABLE {
			s.once.Do(func() { close(s.connected) })
		}
	})
	dc.OnMessage(func(m pion.DataChannelMessage) { s.onFragment(pt, dc.Label(), m.Data) })
}

// open creates the channel of pt in-band, with actr's QoS, unless this
// side already has.
func (s *rtcSession) open(pt protocol.PayloadType) error {
	s.mu.Lock()
	if s.created[pt] {
		s.mu.Unlock()
		return nil
	}
	s.created[pt] = true
	s.mu.Unlock()
	init := &pion.DataChannelInit{Ordered: proto.Bool(true)}
	if pt == protocol.PayloadType_STREAM_LATENCY_FIRST {
		init.Ordered = proto.Bool(false)
		r := uint16(3)
		init.MaxRetransmits = &r
	}
	dc, err := s.pc.CreateDataChannel(Labels[pt], init)
	if err != nil {
		return err
	}
	s.adopt(pt, dc)
	return nil
}

func (s *rtcSession) onFragment(pt protocol.PayloadType, label string, b []byte) {
	if len(b) < 8 {
		s.p.logf("a data channel message of %d bytes has no fragment header", len(b))
		return
	}
	id := binary.BigEndian.Uint32(b)
	index, total := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
	if total == 0 || index >= total || total > 256 {
		s.p.logf("bad fragment header %d/%d", index, total)
		return
	}
	key := fmt.Sprintf("%s/%d", label, id)
	s.mu.Lock()
	parts := s.partial[key]
	if parts == nil {
		parts = make([][]byte, total)
	}
	if int(total) != len(parts) {
		s.mu.Unlock()
		return
	}
	parts[index] = append([]byte(nil), b[8:]...)
	done := true
	for _, c := range parts {
		if c == nil {
			done = false
		}
	}
	if done {
		delete(s.partial, key)
	} else {
		s.partial[key] = parts
	}
	s.mu.Unlock()
	if !done {
		return
	}
	var msg []byte
	for _, c := range parts {
		msg = append(msg, c...)
	}
	select {
	case s.p.Received <- Message{Wire: "webrtc", From: hexID(s.remote), Type: pt, Data: msg}:
	default:
	}
	if s.p.isEcho(msg) {
		return
	}
	// Echo, as actr node does, from another goroutine: a send may wait.
	s.p.spawn(func() {
		if err := s.Send(s.p.ctx, pt, msg); err != nil {
			s.p.logf("echo over webrtc: %v", err)
		}
	})
}

// Send sends msg on pt's channel, opening the channel if no side has yet.
func (s *rtcSession) Send(ctx context.Context, pt protocol.PayloadType, msg []byte) error {
	s.mu.Lock()
	dc := s.channels[pt]
	opened := s.opened[pt]
	s.mu.Unlock()
	if opened == nil {
		return fmt.Errorf("no data channel for %s", pt)
	}
	if dc == nil {
		if err := s.open(pt); err != nil {
			return err
		}
		select {
		case <-opened:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
		dc = s.channels[pt]
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.nextMsg++
	id := s.nextMsg
	s.mu.Unlock()
	total := max(1, (len(msg)+maxChunk-1)/maxChunk)
	for i := range total {
		chunk := msg[i*maxChunk : min(len(msg), (i+1)*maxChunk)]
		f := binary.BigEndian.AppendUint32(nil, id)
		f = binary.BigEndian.AppendUint16(f, uint16(i))
		f = binary.BigEndian.AppendUint16(f, uint16(total))
		if err := dc.Send(append(f, chunk...)); err != nil {
			return err
		}
	}
	return nil
}

func (s *rtcSession) close() { _ = s.pc.Close() }

// DialWebRTC connects to target over WebRTC the actr way: it asks the
// server for roles, then offers or waits for target's offer. It returns
// once RPC_RELIABLE is open.
func (p *Peer) DialWebRTC(ctx context.Context, target *protocol.ActrId) (*RTC, error) {
	r, err := p.call(ctx, &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: &protocol.ActrRelay{
		Source: p.ID, Credential: p.Credential, Target: target,
		Payload: &protocol.ActrRelay_RoleNegotiation{RoleNegotiation: &protocol.RoleNegotiation{
			From: p.ID, To: target, RealmId: proto.Uint32(p.ID.GetRealm().GetRealmId())}}}}})
	if err != nil {
		return nil, fmt.Errorf("role negotiation: %w", err)
	}
	ra := r.GetActrRelay().GetRoleAssignment()
	if ra == nil {
		return nil, fmt.Errorf("role negotiation answered with %v", r)
	}
	if ra.GetIsOfferer() {
		if _, err := p.offer(target); err != nil {
			return nil, err
		}
	}
	return p.WaitWebRTC(ctx, target)
}

// WaitWebRTC waits until a session with target has RPC_RELIABLE open.
func (p *Peer) WaitWebRTC(ctx context.Context, target *protocol.ActrId) (*RTC, error) {
	for {
		p.mu.Lock()
		s, added := p.sessions[hexID(target)], p.added
		p.mu.Unlock()
		var connected <-chan struct{}
		if s != nil {
			connected = s.connected
		}
		select {
		case <-connected:
			return &RTC{s: s}, nil
		case <-added: // a newer session: look again
		case <-ctx.Done():
			return nil, fmt.Errorf("no WebRTC session with %s: %w", hexID(target), ctx.Err())
		}
	}
}

// offer starts a session with target as offerer: RPC_RELIABLE first, then
// the other channels, then the offer.
func (p *Peer) offer(target *protocol.ActrId) (*rtcSession, error) {
	s, err := p.newSession(target, true)
	if err != nil {
		return nil, err
	}
	for _, pt := range []protocol.PayloadType{protocol.PayloadType_RPC_RELIABLE, protocol.PayloadType_RPC_SIGNAL,
		protocol.PayloadType_STREAM_RELIABLE, protocol.PayloadType_STREAM_LATENCY_FIRST} {
		if err := s.open(pt); err != nil {
			return nil, err
		}
	}
	o, err := s.pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	if err := s.pc.SetLocalDescription(o); err != nil {
		return nil, err
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	s.mu.Lock()
	s.exchange = hex.EncodeToString(r[:])
	s.mu.Unlock()
	err = p.relay(p.ctx, target, func(rl *protocol.ActrRelay) {
		rl.Payload = &protocol.ActrRelay_SessionDescription{SessionDescription: &protocol.SessionDescription{
			Type: protocol.SessionDescription_OFFER.Enum(), Sdp: proto.String(o.SDP), SdpExchangeId: proto.String(s.exchange)}}
	})
	return s, err
}

func (p *Peer) onRelay(r *protocol.ActrRelay) {
	from := r.GetSource()
	p.mu.Lock()
	s := p.sessions[hexID(from)]
	p.mu.Unlock()
	switch {
	case r.GetRoleAssignment() != nil:
		// The other side negotiated; offer if told to.
		if r.GetRoleAssignment().GetIsOfferer() && (s == nil || !s.offerer) {
			if _, err := p.offer(from); err != nil {
				p.logf("offering: %v", err)
			}
		}
	case r.GetSessionDescription() != nil:
		sd := r.GetSessionDescription()
		switch sd.GetType() {
		case protocol.SessionDescription_OFFER, protocol.SessionDescription_ICE_RESTART_OFFER, protocol.SessionDescription_RENEGOTIATION_OFFER:
			if sd.GetSdpExchangeId() == "" {
				p.logf("ignoring an offer without sdp_exchange_id, as actr does")
				return
			}
			if s == nil || s.offerer || sd.GetType() == protocol.SessionDescription_OFFER {
				var err error
				if s, err = p.newSession(from, false); err != nil {
					p.logf("answering: %v", err)
					return
				}
			}
			s.p.spawn(func() { s.answer(sd) })
		case protocol.SessionDescription_ANSWER:
			if s == nil || !s.offerer {
				return
			}
			s.mu.Lock()
			same := sd.GetSdpExchangeId() == s.exchange
			s.mu.Unlock()
			if !same {
				p.logf("ignoring an answer to exchange %q, not %q", sd.GetSdpExchangeId(), s.exchange)
				return
			}
			if err := s.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: sd.GetSdp()}); err != nil {
				p.logf("answer: %v", err)
				return
			}
			s.flushEarly()
		}
	case r.GetIceCandidate() != nil:
		if s == nil {
			return
		}
		c := r.GetIceCandidate()
		init := pion.ICECandidateInit{Candidate: c.GetCandidate()}
		if c.SdpMid != nil {
			init.SDPMid = proto.String(c.GetSdpMid())
		}
		if c.SdpMlineIndex != nil {
			i := uint16(c.GetSdpMlineIndex())
			init.SDPMLineIndex = &i
		}
		s.mu.Lock()
		if !s.haveSDP {
			s.early = append(s.early, init)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		_ = s.pc.AddICECandidate(init)
	}
}

func (s *rtcSession) answer(sd *protocol.SessionDescription) {
	if err := s.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: sd.GetSdp()}); err != nil {
		s.p.logf("offer: %v", err)
		return
	}
	a, err := s.pc.CreateAnswer(nil)
	if err == nil {
		err = s.pc.SetLocalDescription(a)
	}
	if err != nil {
		s.p.logf("answer: %v", err)
		return
	}
	s.mu.Lock()
	s.exchange = sd.GetSdpExchangeId()
	s.mu.Unlock()
	s.flushEarly()
	if err := s.p.relay(s.p.ctx, s.remote, func(r *protocol.ActrRelay) {
		r.Payload = &protocol.ActrRelay_SessionDescription{SessionDescription: &protocol.SessionDescription{
			Type: protocol.SessionDescription_ANSWER.Enum(), Sdp: proto.String(a.SDP), SdpExchangeId: proto.String(sd.GetSdpExchangeId())}}
	}); err != nil {
		s.p.logf("sending the answer: %v", err)
	}
}

func (s *rtcSession) flushEarly() {
	s.mu.Lock()
	s.haveSDP = true
	early := s.early
	s.early = nil
	s.mu.Unlock()
	for _, c := range early {
		_ = s.pc.AddICECandidate(c)
	}
}

// RTC is an open WebRTC session with one peer.
type RTC struct{ s *rtcSession }

// Send sends msg on pt's data channel.
func (r *RTC) Send(ctx context.Context, pt protocol.PayloadType, msg []byte) error {
	r.s.p.sentByMe(msg)
	return r.s.Send(ctx, pt, msg)
}

// Offerer reports whether this side made the offer.
func (r *RTC) Offerer() bool { return r.s.offerer }

// Labels returns the labels of the channels open now, by payload type.
func (r *RTC) Labels() map[protocol.PayloadType]string {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	out := map[protocol.PayloadType]string{}
	for pt, dc := range r.s.channels {
		out[pt] = dc.Label()
	}
	return out
}
