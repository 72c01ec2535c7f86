package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/internal/writeslot"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

type role uint8

const (
	roleUnknown role = iota
	roleOfferer
	roleAnswerer
)

var lastSessionID atomic.Uint64

// session is one PeerConnection to one peer: one offer/answer exchange,
// the ICE restarts that follow it, and its data channels.
//
// Everything that changes its state runs on its loop, one function at a
// time: pion's callbacks and the coordinator's relayed messages only post
// work there and never block. So no lock is ever held across a pion call
// or a callback (DESIGN F11), and a callback that arrives after the
// session ended finds its loop gone and does nothing (F5). The loop also
// owns teardown: it closes the PeerConnection, clears its handlers (F14),
// waits for the channel readers and only then closes done.
//
// The loop is a goroutine only while there is work: post starts one when
// none runs, and it exits once the queue is empty. An idle connected
// session, which is most of them, has no loop goroutine.
type session struct {
	co      *Coordinator
	id      uint64
	wireID  transport.WireID
	peer    protocol.ActorID
	inbound transport.Inbound
	events  *transport.EventBus
	log     *slog.Logger
	cfg     *settings

	pc    *pion.PeerConnection
	lanes [channelCount]*laneState

	ctx     context.Context // ends when the session stops
	cancel  context.CancelFunc
	readers sync.WaitGroup

	qmu      sync.Mutex
	queue    []func()
	running  bool // a loop goroutine runs (for good once finished)
	finished bool // the loop tore the session down: posts are dropped

	// gotRemote is closed when the first remote description is set.
	gotRemote chan struct{}

	// Loop-owned.
	role       role
	haveRemote bool
	// exchangeID names the current offer/answer exchange
	// (SessionDescription.sdp_exchange_id): made by our offer, or taken
	// from the peer's, which our answer echoes.
	exchangeID   string
	ufrag        atomic.Pointer[string] // the remote ICE username fragment, once known
	pendingCands []*protocol.IceCandidate
	candidates   int  // remote candidates taken in the current ICE generation
	connected    bool // the PeerConnection (ICE and DTLS) is connected
	channels     int  // data channels taken (ours and the peer's), at most maxSessionChannels
	refused      int  // the peer's data channels refused
	everReady    bool
	restarts     int
	restarting   bool
	askedRestart bool        // an answerer sent ice_restart_request since it was last connected
	timer        *time.Timer // the pending deadline, if any
	timerGen     uint64

	// reassembly is the bytes the session's reassembly buffers hold
	// (Config.ReassemblyPeerBytes).
	reassembly atomic.Int64

	ready      atomic.Bool
	rmu        sync.Mutex
	readyCh    chan struct{} // closed and replaced at every change of ready
	firstReady chan struct{} // closed when first ready
	chansCh    chan struct{} // closed and replaced when a channel opens or closes (rmu)

	errMu sync.Mutex
	err   error
	done  chan struct{}
	// onEnd runs before done is closed (the coordinator forgets the
	// session, so whoever waited for done sees it gone); onDeath runs
	// after (its Conn learns of the death; Conn.adoptSession relies on
	// done being closed by then).
	onEnd    func(s *session)
	onDeath  func(s *session)
	owner    *Conn // set by install, before the session is shared
	dialled  bool  // made by this node's Connect (set before install)
	stopOnce sync.Once
}

// laneState is one payload type's lane: its data channels, ours and the
// peer's (inband.go), and the sending side.
type laneState struct {
	spec channelSpec
	idx  int
	// Loop-owned: our channel, once created (open or not); the peer's
	// open channel, if any.
	local, remote *dchan
	// chans is the lane's open channels, in the order they opened:
	// replaced (never changed in place) by the loop, read by anyone.
	chans atomic.Pointer[[]*dchan]
	// send is the channel Sends write to: the first of the lane's
	// channels to open, for as long as it is open (inband.go).
	send atomic.Pointer[dchan]
	// opened is closed when send is first set.
	opened     chan struct{}
	openedOnce sync.Once

	slot  writeslot.Slot // held while a message's fragments are written
	low   chan struct{}  // signalled by its channels' OnBufferedAmountLow
	msgID uint32         // guarded by slot
	buf   []byte         // guarded by slot
	// The stall clock (lane.go's drain), guarded by slot: the timer, made
	// on the first wait; whether the clock runs; since when the queue has
	// drained nothing, and its size then.
	stall       *time.Timer
	waiting     bool
	stallSince  time.Time
	stallAmount uint64
}

// maxPendingCandidates bounds the candidates kept until the remote
// description is set, whatever Config.MaxRemoteCandidates says (each
// takes a place in a reserved slot's queue too: maxQueued).
const maxPendingCandidates = 128

func (co *Coordinator) newSession(peer protocol.ActorID, wireID transport.WireID, in transport.Inbound, events *transport.EventBus, r role) (*session, error) {
	pc, err := co.cfg.api.NewPeerConnection(co.cfg.pcConfig())
	if err != nil {
		return nil, fmt.Errorf("webrtc: creating the PeerConnection to %s: %w", peer, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		co: co, id: lastSessionID.Add(1), wireID: wireID, peer: peer, inbound: in, events: events,
		cfg: co.cfg, pc: pc, ctx: ctx, cancel: cancel, role: r,
		readyCh: make(chan struct{}), chansCh: make(chan struct{}), firstReady: make(chan struct{}), done: make(chan struct{}), gotRemote: make(chan struct{}),
	}
	s.log = co.cfg.Logger.With("peer", peer, "session", s.id)
	for i, spec := range channelSpecs {
		s.lanes[i] = &laneState{spec: spec, idx: i, slot: writeslot.New(), low: make(chan struct{}, 1), opened: make(chan struct{})}
	}
	// The peer's channels: pion's accept loop waits for this handler, so
	// it only asks to hear of the channel once open (which pion says
	// right after); the loop then takes it or refuses it.
	pc.OnDataChannel(func(dc *pion.DataChannel) {
		dc.OnOpen(func() { s.post(func() { s.remoteOpened(dc) }) })
	})
	pc.OnICECandidate(func(c *pion.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			s.post(func() { s.sendCandidate(init) })
		}
	})
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) { s.post(func() { s.stateChanged(st) }) })
	return s, nil
}

// post queues fn to run on the loop, starting the loop's goroutine if
// none runs. It never blocks. After teardown it drops fn.
func (s *session) post(fn func()) {
	s.qmu.Lock()
	if s.finished {
		s.qmu.Unlock()
		return
	}
	s.queue = append(s.queue, fn)
	start := !s.running
	s.running = true
	s.qmu.Unlock()
	if start {
		go s.loop()
	}
}

// loop runs the queued functions in order until the queue is empty, or
// tears the session down once it is stopped. One runs at a time: post
// starts one only when running is false, which loop sets, under qmu, as
// it exits.
func (s *session) loop() {
	for {
		s.qmu.Lock()
		if s.ctx.Err() != nil {
			s.finished = true // running stays true: no loop starts again
			s.queue = nil
			s.qmu.Unlock()
			s.teardown()
			return
		}
		q := s.queue
		s.queue = nil
		if len(q) == 0 {
			s.running = false
			s.qmu.Unlock()
			return
		}
		s.qmu.Unlock()
		for _, fn := range q {
			if s.ctx.Err() != nil {
				break
			}
			fn()
		}
	}
}

// stop ends the session with err (the first cause wins). It never
// blocks; the loop tears down and then closes done.
func (s *session) stop(err error) {
	s.stopOnce.Do(func() {
		s.errMu.Lock()
		s.err = err
		s.errMu.Unlock()
		s.setReady(false)
		s.cancel()
		s.post(func() {}) // runs the loop, which tears down
	})
}

// close stops the session and waits until it has released everything.
func (s *session) close(err error) {
	s.stop(err)
	<-s.done
}

func (s *session) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

func (s *session) teardown() {
	if s.timer != nil {
		s.timer.Stop()
	}
	// Handlers go first so nothing posts to a finished loop and no closure
	// keeps the session reachable from pion (F14).
	// (No-op functions, not nil, which pion may call. The data channels'
	// handlers stay: pion's OnOpen cannot be replaced safely while it may
	// fire, and they only post to this finished loop.)
	s.pc.OnICECandidate(func(*pion.ICECandidate) {})
	s.pc.OnConnectionStateChange(func(pion.PeerConnectionState) {})
	s.pc.OnDataChannel(func(*pion.DataChannel) {})
	if err := s.pc.Close(); err != nil {
		s.log.Debug("closing the PeerConnection", "err", err)
	}
	for _, ls := range s.lanes {
		for _, ch := range ls.open() {
			_ = ch.rwc.Close()
		}
	}
	s.readers.Wait()
	s.log.Debug("session ended", "err", s.Err())
	if s.onEnd != nil {
		s.onEnd(s)
	}
	close(s.done)
	if s.onDeath != nil {
		s.onDeath(s)
	}
}

func (s *session) setReady(v bool) {
	if s.ready.Swap(v) == v {
		return
	}
	s.rmu.Lock()
	close(s.readyCh)
	s.readyCh = make(chan struct{})
	s.rmu.Unlock()
	if v && !s.everReady {
		s.everReady = true
		close(s.firstReady)
	}
}

// dialling reports whether s is this node's own connect attempt, not
// yet ready: in a glare the peer's role negotiation must not replace it.
func (s *session) dialling() bool {
	if !s.dialled {
		return false
	}
	select {
	case <-s.firstReady:
		return false
	default:
		return true
	}
}

// channelsChanged is closed at the next change of the lanes' channels.
func (s *session) channelsChanged() <-chan struct{} {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.chansCh
}

func (s *session) notifyChannels() {
	s.rmu.Lock()
	close(s.chansCh)
	s.chansCh = make(chan struct{})
	s.rmu.Unlock()
}

func (s *session) readyChanged() <-chan struct{} {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.readyCh
}

// deadline arms the session's one timer: fn runs on the loop after d
// unless another deadline or disarm replaces it first.
func (s *session) deadline(d time.Duration, fn func()) {
	s.disarm()
	gen := s.timerGen
	s.timer = time.AfterFunc(d, func() {
		s.post(func() {
			if s.timerGen == gen {
				fn()
			}
		})
	})
}

func (s *session) disarm() {
	s.timerGen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

func (s *session) publish(kind transport.EventKind, reason string, err error) {
	if s.events != nil {
		s.events.Publish(transport.Event{Kind: kind, Dest: transport.Actor(s.peer), WireID: s.wireID,
			WireKind: transport.WireWebRTC, Reason: reason, Err: err})
	}
}

// checkReady runs on the loop after every change of connected or of the
// RPC_RELIABLE lane's channels. A session is Ready, as actr's is, once
// connected with RPC_RELIABLE open: a lane whose channel is not open yet
// opens its own on its first Send (lane.go), which needs no round trip.
func (s *session) checkReady() {
	ready := s.connected && s.lanes[rpcReliable].send.Load() != nil
	if ready && !s.ready.Load() {
		s.disarm()
	}
	s.setReady(ready)
}

// stalled fails the session of a peer that stopped reading (its cause,
// err, matches transport.ErrStalled), counts it and publishes it; the
// Conn then reports it through Done and Err like any other death.
func (s *session) stalled(err error) {
	if s.ctx.Err() != nil {
		return // already ending, for another reason
	}
	s.co.counters.Stalls.Add(1)
	s.log.Warn("the peer stopped reading: failing its wire", "err", err)
	s.publish(transport.EventConnectionClosed, "stalled", err)
	s.stop(err)
}

func (s *session) stateChanged(st pion.PeerConnectionState) {
	s.log.Debug("connection state", "state", st)
	switch st {
	case pion.PeerConnectionStateConnected:
		s.connected = true
		s.askedRestart = false
		s.logPath()
		if s.restarting {
			s.restarting = false
			s.restarts = 0
			s.co.counters.ICERestartsCompleted.Add(1)
			s.publish(transport.EventICERestartCompleted, "", nil)
		}
		if !s.everReady {
			s.deadline(s.cfg.ChannelOpenTimeout, func() {
				s.stop(fmt.Errorf("%w: data channel %s to %s not open %v after connecting", transport.ErrWireClosed, channelSpecs[rpcReliable].label, s.peer, s.cfg.ChannelOpenTimeout))
			})
		}
		s.checkReady()
	case pion.PeerConnectionStateDisconnected, pion.PeerConnectionStateFailed:
		s.connected = false
		s.checkReady()
		if !s.everReady {
			if st == pion.PeerConnectionStateFailed {
				s.stop(fmt.Errorf("%w: ICE to %s failed while connecting", transport.ErrWireClosed, s.peer))
			}
			return
		}
		s.recover(st)
	case pion.PeerConnectionStateClosed:
		s.stop(fmt.Errorf("%w: PeerConnection to %s closed", transport.ErrWireClosed, s.peer))
	}
}

// restartRequester is the part of a Signaler that can send actr's
// ice_restart_request (signaling.Client can); optional, so that other
// Signalers need not.
type restartRequester interface {
	SendIceRestartRequest(target protocol.ActorID, why string) error
}

// recover handles a connected session going disconnected or failed: the
// offerer restarts ICE (bounded); the answerer asks it to (once it sees
// the connection failed) and waits for its restart offer.
func (s *session) recover(st pion.PeerConnectionState) {
	if s.role != roleOfferer {
		if st == pion.PeerConnectionStateFailed && !s.askedRestart {
			// As actr's answerers do: ask the offerer to restart now. An
			// offerer that saw the failure too is restarting already and
			// takes no notice; one that saw nothing (a one-way failure)
			// restarts at once instead of never.
			s.askedRestart = true
			if r, ok := s.co.sig.(restartRequester); ok {
				if err := r.SendIceRestartRequest(s.peer, "ice_failed"); err != nil {
					s.log.Debug("asking the offerer to restart ICE", "err", err)
				} else {
					s.co.counters.RestartRequestsSent.Add(1)
				}
			}
		}
		if s.timer == nil {
			wait := time.Duration(s.cfg.ICERestarts+1) * s.cfg.ICEFailedTimeout
			s.deadline(wait, func() {
				s.stop(fmt.Errorf("%w: connection to %s lost and not restored within %v", transport.ErrWireClosed, s.peer, wait))
			})
		}
		return
	}
	if s.restarting && st == pion.PeerConnectionStateDisconnected {
		return // a restart is under way; its deadline decides
	}
	s.restartICE(st.String())
}

// restartRequested handles the peer's ice_restart_request: an offerer
// whose connection is up, or already restarting, has nothing to do (its
// own restart answers both); one that saw nothing yet restarts now.
func (s *session) restartRequested(why string) {
	switch {
	case s.role != roleOfferer || !s.everReady:
		s.stale("an ICE restart request the session cannot act on")
	case s.restarting:
		// Under way already.
	default:
		s.restartICE("the peer asked (" + why + ")")
	}
}

func (s *session) restartICE(why string) {
	if s.restarts >= s.cfg.ICERestarts {
		s.stop(fmt.Errorf("%w: connection to %s %s after %d ICE restarts", transport.ErrWireClosed, s.peer, why, s.restarts))
		return
	}
	s.restarts++
	s.restarting = true
	s.co.counters.ICERestarts.Add(1)
	s.publish(transport.EventICERestartStarted, fmt.Sprintf("attempt %d of %d after %s", s.restarts, s.cfg.ICERestarts, why), nil)
	s.log.Info("ICE restart", "attempt", s.restarts, "after", why)
	if err := s.offer(true); err != nil {
		s.stop(err)
		return
	}
	s.deadline(s.cfg.ICEFailedTimeout, func() {
		if !s.connected {
			s.restartICE("not restored")
		}
	})
}

// offer makes and sends an offer (an ICE restart offer if restart).
func (s *session) offer(restart bool) error {
	var opts *pion.OfferOptions
	typ := protocol.SessionDescription_OFFER
	if restart {
		opts = &pion.OfferOptions{ICERestart: true}
		typ = protocol.SessionDescription_ICE_RESTART_OFFER
	}
	if restart && s.pc.SignalingState() == pion.SignalingStateHaveLocalOffer {
		// The previous restart offer was never answered: it or its answer
		// was lost in signaling, or the peer was away. pion refuses a new
		// local offer on top of a pending one (and cannot roll a local
		// offer back), so send the pending one again; it carries the
		// candidates gathered since, which the peer dropped as stale if
		// the offer never reached it.
		if pending := s.pc.PendingLocalDescription(); pending != nil {
			return s.sendSDP(typ, pending.SDP) // the same exchange
		}
	}
	if !restart {
		// The offerer opens every lane's channel, RPC_RELIABLE first, before
		// its first offer, so that the offer carries the application
		// m-line and the lanes are open as soon as SCTP is (actr's peers
		// open only RPC_RELIABLE; the answerer takes what comes).
		for _, ls := range s.lanes {
			if err := s.openLocal(ls); err != nil {
				return err
			}
		}
	}
	if restart {
		s.refreshICEServers()
	}
	o, err := s.pc.CreateOffer(opts)
	if err != nil {
		return fmt.Errorf("webrtc: creating an offer to %s: %w", s.peer, err)
	}
	if err := s.pc.SetLocalDescription(o); err != nil {
		return fmt.Errorf("webrtc: setting the local offer to %s: %w", s.peer, err)
	}
	s.exchangeID = newExchangeID()
	return s.sendSDP(typ, o.SDP)
}

// newExchangeID makes an sdp_exchange_id: random, so that no two offers
// of a session, or of two sessions, share one.
func newExchangeID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sendSDP sends a description of the current exchange (s.exchangeID).
func (s *session) sendSDP(typ protocol.SessionDescription_Type, sdp string) error {
	sd := &protocol.SessionDescription{Type: typ.Enum(), Sdp: &sdp}
	if s.exchangeID != "" {
		sd.SdpExchangeId = &s.exchangeID
	}
	if err := s.co.sig.SendSessionDescription(s.peer, sd); err != nil {
		return fmt.Errorf("webrtc: sending the %s to %s through signaling: %w", typ, s.peer, err)
	}
	return nil
}

func (s *session) sendCandidate(c pion.ICECandidateInit) {
	m := &protocol.IceCandidate{Candidate: &c.Candidate, SdpMid: c.SDPMid}
	if c.SDPMLineIndex != nil {
		idx := uint32(*c.SDPMLineIndex)
		m.SdpMlineIndex = &idx
	}
	if ld := s.pc.LocalDescription(); ld != nil {
		if u := sdpUfrag(ld.SDP); u != "" {
			m.UsernameFragment = &u
		}
	}
	if err := s.co.sig.SendIceCandidate(s.peer, m); err != nil {
		s.log.Debug("sending a candidate", "err", err)
	}
}

// remoteDescription applies a relayed session description.
func (s *session) remoteDescription(sd *protocol.SessionDescription) {
	typ := sd.GetType()
	switch typ {
	case protocol.SessionDescription_OFFER, protocol.SessionDescription_ICE_RESTART_OFFER:
		if s.role == roleOfferer || (typ == protocol.SessionDescription_OFFER && s.haveRemote) ||
			(typ == protocol.SessionDescription_ICE_RESTART_OFFER && !s.haveRemote) {
			s.stale("an offer the session cannot take")
			return
		}
		s.role = roleAnswerer
		// Our answer echoes the offer's exchange (none from a peer that
		// sends none).
		s.exchangeID = sd.GetSdpExchangeId()
		if typ == protocol.SessionDescription_ICE_RESTART_OFFER {
			s.refreshICEServers()
		}
		sdp, taken := s.screenSDP(sd.GetSdp())
		if err := s.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: sdp}); err != nil {
			s.refuse(fmt.Errorf("webrtc: applying the offer of %s: %w", s.peer, err))
			return
		}
		s.candidates = taken
		s.remoteSet(sdp)
		a, err := s.pc.CreateAnswer(nil)
		if err == nil {
			err = s.pc.SetLocalDescription(a)
		}
		if err != nil {
			// pion took the offer but cannot answer it: the offer is at
			// fault, so it counts as a bad signal.
			s.co.counters.BadSignals.Add(1)
			s.stop(fmt.Errorf("webrtc: answering %s: %w", s.peer, err))
			return
		}
		if err := s.sendSDP(protocol.SessionDescription_ANSWER, a.SDP); err != nil {
			s.stop(fmt.Errorf("webrtc: answering %s: %w", s.peer, err))
		}
	case protocol.SessionDescription_ANSWER:
		if sd.GetSdp() == "" {
			// No answer is empty: the peer refused the session
			// (Coordinator.refuseSetup). Only an attempt can be refused.
			if s.everReady {
				s.stale("a refusal of a session that is up")
				return
			}
			s.co.counters.RefusedByPeer.Add(1)
			s.stop(fmt.Errorf("%w (%s)", ErrSessionRefused, s.peer))
			return
		}
		if s.role != roleOfferer || s.pc.SignalingState() != pion.SignalingStateHaveLocalOffer {
			s.stale("an answer to no pending offer")
			return
		}
		if id := sd.GetSdpExchangeId(); id != "" && id != s.exchangeID {
			// An answer to an earlier offer, late: the pending offer's own
			// answer is still to come. (A peer that sends no id is taken
			// at its word.)
			s.stale("an answer to another offer")
			return
		}
		sdp, taken := s.screenSDP(sd.GetSdp())
		if err := s.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: sdp}); err != nil {
			s.refuse(fmt.Errorf("webrtc: applying the answer of %s: %w", s.peer, err))
			return
		}
		s.candidates = taken
		s.remoteSet(sdp)
	default:
		s.stale("a session description of type " + typ.String())
	}
}

// refuse reports a remote description pion rejected. Before the session
// was ever ready it cannot come up; after, the current connection goes on.
func (s *session) refuse(err error) {
	s.co.counters.BadSignals.Add(1)
	s.log.Warn("refused a session description", "err", err)
	if !s.everReady {
		s.stop(err)
	}
}

func (s *session) stale(what string) {
	s.co.counters.StaleSignals.Add(1)
	s.log.Debug("dropped a stale signal", "what", what)
}

// remoteSet records a new remote description's ICE credentials and
// applies the candidates that were waiting for it.
func (s *session) remoteSet(sdp string) {
	if !s.haveRemote {
		close(s.gotRemote)
	}
	s.haveRemote = true
	u := sdpUfrag(sdp)
	s.ufrag.Store(&u)
	pending := s.pendingCands
	s.pendingCands = nil
	for _, c := range pending {
		s.remoteCandidate(c)
	}
}

// remoteCandidate applies a relayed candidate, or keeps it until the
// remote description is set. A candidate of another ICE generation (its
// username fragment is not the current remote one) is stale and dropped.
//
// Every candidate is screened (candidateFilter) and counted against
// Config.MaxRemoteCandidates before pion sees it: what is refused is
// dropped and counted by reason.
func (s *session) remoteCandidate(c *protocol.IceCandidate) {
	if !s.haveRemote {
		if len(s.pendingCands) >= min(maxPendingCandidates, s.cfg.MaxRemoteCandidates) {
			s.refuseCandidate(candOverCap, c.GetCandidate())
			return
		}
		s.pendingCands = append(s.pendingCands, c)
		return
	}
	if u, cur := c.GetUsernameFragment(), s.remoteUfrag(); u != "" && cur != "" && u != cur {
		s.stale("a candidate of an earlier ICE generation")
		return
	}
	var ok bool
	if s.candidates, ok = s.takeCandidate(c.GetCandidate(), s.candidates); !ok {
		return
	}
	init := pion.ICECandidateInit{Candidate: c.GetCandidate()}
	if c.SdpMid != nil {
		init.SDPMid = c.SdpMid
	}
	if c.SdpMlineIndex != nil {
		idx := uint16(min(c.GetSdpMlineIndex(), 0xffff))
		init.SDPMLineIndex = &idx
	}
	if u := c.GetUsernameFragment(); u != "" {
		init.UsernameFragment = &u
	}
	if s.co.candidateAdded != nil && init.Candidate != "" {
		s.co.candidateAdded(init.Candidate)
	}
	if err := s.pc.AddICECandidate(init); err != nil {
		s.co.counters.BadSignals.Add(1)
		s.log.Debug("refused a candidate", "err", err)
	}
}

// takeCandidate screens one remote candidate line, of which taken were
// already taken in its ICE generation: it reports whether the candidate
// goes to pion, and the new count. A refused one is counted and logged.
// An empty line (end of candidates) names no address: it is not counted.
func (s *session) takeCandidate(line string, taken int) (int, bool) {
	v := s.cfg.cands.screen(line)
	if v == candEnd {
		return taken, true
	}
	if v == candOK && taken >= s.cfg.MaxRemoteCandidates {
		v = candOverCap
	}
	if v != candOK {
		s.refuseCandidate(v, line)
		return taken, false
	}
	s.co.counters.CandidatesAccepted.Add(1)
	return taken + 1, true
}

func (s *session) refuseCandidate(v candidateVerdict, line string) {
	c := &s.co.counters
	switch v {
	case candOverCap:
		c.CandidatesOverCap.Add(1)
	case candOffNetwork:
		c.CandidatesOffNetwork.Add(1)
	case candBadAddress:
		c.CandidatesBadAddress.Add(1)
	default:
		c.CandidatesMalformed.Add(1)
	}
	if len(line) > 200 {
		line = line[:200]
	}
	s.log.Debug("refused a remote candidate", "why", v.String(), "candidate", line)
}

// screenSDP returns sdp without the candidate lines takeCandidate refuses,
// and how many candidates of its ICE generation are then taken: counted
// from 0 for a new generation (a new ufrag), else on from the current
// count. The caller commits the count once pion took the description.
// An SDP with nothing refused is returned as it is.
func (s *session) screenSDP(sdp string) (string, int) {
	taken := s.candidates
	if sdpUfrag(sdp) != s.remoteUfrag() {
		taken = 0
	}
	var b strings.Builder
	dropped := false
	pos := 0
	for line := range strings.Lines(sdp) {
		keep := true
		if strings.HasPrefix(line, "a=candidate:") {
			taken, keep = s.takeCandidate(line, taken)
			if keep && s.co.candidateAdded != nil {
				s.co.candidateAdded(strings.TrimRight(line, "\r\n"))
			}
		}
		if !keep && !dropped {
			dropped = true
			b.Grow(len(sdp))
			b.WriteString(sdp[:pos])
		}
		if keep && dropped {
			b.WriteString(line)
		}
		pos += len(line)
	}
	if !dropped {
		return sdp, taken
	}
	return b.String(), taken
}

// remoteUfrag returns the ICE username fragment of the remote
// description, or "" before there is one. Safe from any goroutine.
func (s *session) remoteUfrag() string {
	if u := s.ufrag.Load(); u != nil {
		return *u
	}
	return ""
}

// errNotReady: the session exists but is not ready (connecting, or
// restarting ICE).
var errNotReady = errors.New("webrtc: connection not ready")
