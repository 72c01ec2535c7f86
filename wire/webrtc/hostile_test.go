package webrtc

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
)

// TestHostileH1StalledPeerFailsWithErrStalled: a peer that stops reading
// while this node sends to it. Its wire must fail with ErrStalled within
// the stall timeout (plus one look at the queue), a Send blocked in flow
// control with no deadline must return that error, and the node's traffic
// to another peer must keep flowing meanwhile.
func TestHostileH1StalledPeerFailsWithErrStalled(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	const stall = time.Second
	hub := newPipeHub()
	cfgA := hostileConfig()
	cfgA.StallTimeout = stall
	a := newHubNode(t, hub, "acme:a@1.1", cfgA, newRecorder())
	stalled := &stallInbound{blocked: make(chan struct{})}
	b := newHubNode(t, hub, "acme:b@1.2", hostileConfig(), stalled)
	good := newRecorder()
	c := newHubNode(t, hub, "acme:c@1.3", hostileConfig(), good)

	toB := a.dial(t, ctx, b.id, newRecorder())
	toC := a.dial(t, ctx, c.id, newRecorder())
	laneB, err := toB.Lane(protocol.PayloadType_STREAM_RELIABLE)
	if err != nil {
		t.Fatal(err)
	}
	laneC, err := toC.Lane(protocol.PayloadType_RPC_RELIABLE)
	if err != nil {
		t.Fatal(err)
	}

	// Flood b with no deadline: once b's reader is held, its receive
	// window fills, a's queue stops draining and a Send waits.
	start := time.Now()
	// Two senders: one ends up waiting in flow control, the other for the
	// lane's write slot; both must return.
	flood := make(chan error, 2)
	for range 2 {
		go func() {
			msg := make([]byte, MaxChunkSize)
			for {
				if err := laneB.Send(context.Background(), msg); err != nil {
					flood <- err
					return
				}
			}
		}()
	}
	select {
	case <-stalled.blocked:
	case <-ctx.Done():
		t.Fatal("b never got a message")
	}
	blockedAt := time.Now()

	// Meanwhile c is served: every message arrives, each within a bound
	// far below the stall timeout's multiples (2 s: loopback, under -race
	// on a shared machine).
	const perMessage = 2 * time.Second
	var served int
	var worst time.Duration
	var floodErr error
	for floodErr == nil {
		sent := time.Now()
		if err := laneC.Send(ctx, []byte(fmt.Sprintf("ping %d", served))); err != nil {
			t.Fatalf("sending to the well-behaved peer during the stall: %v", err)
		}
		if _, err := good.next(ctx, perMessage); err != nil {
			t.Fatalf("message %d to the well-behaved peer during the stall: %v", served, err)
		}
		worst = max(worst, time.Since(sent))
		served++
		select {
		case floodErr = <-flood:
		default:
			if time.Since(start) > 20*stall {
				t.Fatalf("a Send to the stalled peer still blocked after %v", time.Since(start))
			}
		}
	}
	detected, sinceBlocked := time.Since(start), time.Since(blockedAt)
	// b's window fills within moments of its reader blocking; then one
	// to two StallTimeouts (one look per timeout) find no progress.
	if sinceBlocked > 2*stall+3*time.Second {
		t.Fatalf("the stall was found %v after the peer stopped reading, want within 2×%v plus the window's filling", sinceBlocked, stall)
	}
	if !errors.Is(floodErr, transport.ErrStalled) {
		t.Fatalf("the blocked Send returned %v, want ErrStalled", floodErr)
	}
	select {
	case err := <-flood:
		if !errors.Is(err, transport.ErrStalled) {
			t.Fatalf("the other blocked Send returned %v, want ErrStalled", err)
		}
	case <-ctx.Done():
		t.Fatal("the other Send to the stalled peer never returned")
	}
	select {
	case <-toB.Done():
	case <-ctx.Done():
		t.Fatal("the stalled wire is not done")
	}
	if err := toB.Err(); !errors.Is(err, transport.ErrStalled) {
		t.Fatalf("the stalled wire died of %v, want ErrStalled", err)
	}
	if n := a.co.counters.Stalls.Load(); n != 1 {
		t.Fatalf("Stalls = %d, want 1", n)
	}
	// And after: c still served, its wire untouched.
	if err := laneC.Send(ctx, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if _, err := good.next(ctx, perMessage); err != nil {
		t.Fatal(err)
	}
	t.Logf("stall detected %v after the flood started, %v after the peer stopped reading (StallTimeout %v); %d messages to the other peer meanwhile, slowest %v",
		detected, sinceBlocked, stall, served, worst)
}

// TestHostileH1StallFoundAcrossShortDeadlines: the node's echo sends
// with a per-message deadline shorter than the stall timeout. Each Send
// to the stalled peer gives up before StallTimeout, but the stall clock
// runs across them, so the wire still fails with ErrStalled within the
// bound, instead of costing every message its whole deadline for good.
func TestHostileH1StallFoundAcrossShortDeadlines(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	const (
		stall       = time.Second
		perMessage  = 200 * time.Millisecond
		mostLooking = 2*stall + 3*time.Second
	)
	hub := newPipeHub()
	cfgA := hostileConfig()
	cfgA.StallTimeout = stall
	a := newHubNode(t, hub, "acme:a@1.1", cfgA, newRecorder())
	stalled := &stallInbound{blocked: make(chan struct{})}
	b := newHubNode(t, hub, "acme:b@1.2", hostileConfig(), stalled)
	toB := a.dial(t, ctx, b.id, newRecorder())
	lane, err := toB.Lane(protocol.PayloadType_RPC_RELIABLE)
	if err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, MaxChunkSize)
	var blockedAt time.Time
	timeouts := 0
	for {
		mctx, mcancel := context.WithTimeout(ctx, perMessage)
		err := lane.Send(mctx, msg)
		mcancel()
		if blockedAt.IsZero() {
			select {
			case <-stalled.blocked:
				blockedAt = time.Now()
			default:
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, context.DeadlineExceeded):
			timeouts++
		case errors.Is(err, transport.ErrStalled):
			took := time.Since(blockedAt)
			if took > mostLooking {
				t.Fatalf("the stall was found %v after the peer stopped reading, want within %v", took, mostLooking)
			}
			if n := a.co.counters.Stalls.Load(); n != 1 {
				t.Fatalf("Stalls = %d, want 1", n)
			}
			t.Logf("stall found %v after the peer stopped reading, through %d Sends that timed out after %v each (StallTimeout %v)", took, timeouts, perMessage, stall)
			return
		default:
			t.Fatalf("Send: %v", err)
		}
		if !blockedAt.IsZero() && time.Since(blockedAt) > 4*mostLooking {
			t.Fatalf("no stall found %v after the peer stopped reading (%d Sends timed out)", time.Since(blockedAt), timeouts)
		}
	}
}

// TestHostileH8InboundSetupsCapped: 200 strangers each start a session
// (the signaling service told this node to offer, so each would make a
// PeerConnection at once). Sessions being set up never exceed the cap,
// the rest are refused and counted, the setup deadline closes the ones
// taken, goroutines return to their baseline, one stranger cannot hold
// more than its share, and legitimate peers still connect: dialled by
// the node during the attack, refused at once (not left hanging) when
// they dial it while the cap is full, and taken once the places free up.
func TestHostileH8InboundSetupsCapped(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	const (
		capacity  = 16
		strangers = 200
		deadline  = 3 * time.Second
	)
	hub := newPipeHub()
	cfg := hostileConfig()
	cfg.MaxInboundSetups = capacity
	cfg.InboundSetupTimeout = deadline
	cfg.InboundSetupEvictAge = -1 // refusals, not evictions: TestHostileH8FullCapEvictsTheOldestSetup
	node := newHubNode(t, hub, "acme:node@1.500", cfg, newRecorder())
	legitIn := newRecorder()
	legit := newHubNode(t, hub, "acme:legit@1.900", hostileConfig(), legitIn)
	late := newHubNode(t, hub, "acme:late@1.901", hostileConfig(), newRecorder())
	baseline := goleak.IgnoreCurrent()
	goroutinesBefore := runtime.NumGoroutine()

	offer := true
	assign := &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleAssignment{RoleAssignment: &protocol.RoleAssignment{IsOfferer: &offer}}}
	// One stranger starting over and over holds at most its share.
	pest := protocol.MustParseActorID("acme:pest@1.999")
	for range 6 {
		node.co.dispatch(signaling.Relay{From: pest, Msg: assign})
		node.co.mu.Lock()
		held := node.co.peerSetups[pest]
		node.co.mu.Unlock()
		if held > maxSetupsPerPeer {
			t.Fatalf("one stranger holds %d setups, over %d", held, maxSetupsPerPeer)
		}
	}
	waitSetups(t, ctx, node.co, func(n int) bool { return n <= 1 })

	// The flood, as the relay loop would see it (dispatch is what it runs).
	floodStart := time.Now()
	for i := range strangers {
		from := protocol.MustParseActorID(fmt.Sprintf("acme:stranger@1.%d", 1000+i))
		node.co.dispatch(signaling.Relay{From: from, Msg: assign})
		if n := node.co.InboundSetups(); n > capacity {
			t.Fatalf("%d sessions being set up after %d strangers, over the cap of %d", n, i+1, capacity)
		}
	}
	floodTook := time.Since(floodStart)
	peakGoroutines := runtime.NumGoroutine()
	peakSessions := node.co.Sessions()
	refused := node.co.counters.SetupsRefused.Load()
	if refused < strangers-capacity {
		t.Fatalf("%d refused, want at least %d", refused, strangers-capacity)
	}
	// So that the late peer below is told whatever the window.
	node.co.mu.Lock()
	node.co.refusalRate = 1 << 20
	node.co.mu.Unlock()

	// During the attack: the node dials a peer (not subject to the cap),
	// and a peer that dials the node is refused at once, told why.
	toLegit := node.dial(t, ctx, legit.id, newRecorder())
	lane, err := toLegit.Lane(protocol.PayloadType_RPC_RELIABLE)
	if err != nil {
		t.Fatal(err)
	}
	if err := lane.Send(ctx, []byte("during")); err != nil {
		t.Fatal(err)
	}
	if _, err := legitIn.next(ctx, 5*time.Second); err != nil {
		t.Fatalf("the node's own dial during the attack: %v", err)
	}
	refusedAt := time.Now()
	lc := late.co.Wire(node.id, newRecorder(), nil)
	err = lc.Connect(ctx)
	if !errors.Is(err, ErrSessionRefused) {
		t.Fatalf("a peer dialling the full node: %v, want ErrSessionRefused", err)
	}
	refusedIn := time.Since(refusedAt)
	if refusedIn > deadline {
		t.Fatalf("the refusal took %v", refusedIn)
	}
	// The strangers were told before late (one queue, in order), at a
	// bounded rate: one window per second begun.
	if n, most := hub.refusals.Load(), int64(maxRefusalsPerSecond)*(2+int64(floodTook/time.Second)); n == 0 || n > most {
		t.Fatalf("%d refusals sent to the strangers in %v, want 1..%d (rate-limited)", n, floodTook, most)
	}

	// The deadline closes what was taken.
	waitSetups(t, ctx, node.co, func(n int) bool { return n == 0 })
	if n := node.co.counters.SetupTimeouts.Load(); n < capacity {
		t.Fatalf("SetupTimeouts = %d, want at least %d", n, capacity)
	}
	if n := node.co.Sessions(); n != 1 { // the node's session to legit
		t.Fatalf("%d sessions after the deadline, want 1", n)
	}
	if node.co.setupsPeak > capacity {
		t.Fatalf("peak setups %d over the cap %d", node.co.setupsPeak, capacity)
	}
	// Goroutines back to the baseline, once the legitimate sessions made
	// since are closed too.
	_ = lc.Close()
	_ = toLegit.Close()
	var leak error
	for range 5 { // goleak retries for about 2 s each time
		if leak = goleak.Find(baseline); leak == nil {
			break
		}
	}
	if leak != nil {
		t.Fatalf("goroutines left after the attack: %v", leak)
	}
	goroutinesAfter := runtime.NumGoroutine()

	// And a peer dialling the node now gets in.
	lc2 := late.dial(t, ctx, node.id, newRecorder())
	if !lc2.Ready() {
		t.Fatal("the late peer's wire is not ready")
	}
	t.Logf("cap %d: peak setups %d, peak sessions %d, refused %d (%d told), per-peer refusals %d, timeouts %d; refusal returned in %v; goroutines %d before, %d at the peak, %d after",
		capacity, node.co.setupsPeak, peakSessions, refused, hub.refusals.Load(), node.co.counters.SetupsRefusedPeer.Load(),
		node.co.counters.SetupTimeouts.Load(), refusedIn, goroutinesBefore, peakGoroutines, goroutinesAfter)
}

// TestHostileH8FullCapEvictsTheOldestSetup: strangers that start
// sessions and never finish them fill the cap; a peer that dials the node
// then takes the oldest stranger's place (closed, counted) and connects,
// instead of waiting out the strangers' setup deadline.
func TestHostileH8FullCapEvictsTheOldestSetup(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	const capacity = 4
	hub := newPipeHub()
	cfg := hostileConfig()
	cfg.MaxInboundSetups = capacity
	cfg.InboundSetupTimeout = time.Minute      // the strangers would hold their places for this long
	cfg.InboundSetupEvictAge = time.Nanosecond // any setup is old enough: no wait in the test
	nodeIn := newRecorder()
	node := newHubNode(t, hub, "acme:node@1.500", cfg, nodeIn)
	late := newHubNode(t, hub, "acme:late@1.901", hostileConfig(), newRecorder())

	offer := true
	assign := &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleAssignment{RoleAssignment: &protocol.RoleAssignment{IsOfferer: &offer}}}
	for i := range capacity {
		node.co.dispatch(signaling.Relay{From: protocol.MustParseActorID(fmt.Sprintf("acme:stranger@1.%d", 1000+i)), Msg: assign})
	}
	waitSetups(t, ctx, node.co, func(n int) bool { return n == capacity })

	toNode := late.dial(t, ctx, node.id, newRecorder())
	lane, err := toNode.Lane(protocol.PayloadType_RPC_RELIABLE)
	if err != nil {
		t.Fatal(err)
	}
	if err := lane.Send(ctx, []byte("in")); err != nil {
		t.Fatalf("a peer dialling a node whose cap strangers filled: %v", err)
	}
	if _, err := nodeIn.next(ctx, 5*time.Second); err != nil {
		t.Fatalf("the node never got the newcomer's message: %v", err)
	}
	if n := node.co.counters.SetupsEvicted.Load(); n != 1 {
		t.Fatalf("SetupsEvicted = %d, want 1 (the newcomer took one place)", n)
	}
	if n := node.co.counters.SetupsRefused.Load(); n != 0 {
		t.Fatalf("SetupsRefused = %d, want 0", n)
	}
	if node.co.setupsPeak > capacity {
		t.Fatalf("peak setups %d over the cap %d", node.co.setupsPeak, capacity)
	}
}

// TestOfferTimeoutEndsAnAttemptThePeerIgnores: a peer dialling a node
// whose cap is full, and whose refusals are rate-limited so it is not
// told, gives the attempt up after Config.OfferTimeout, not after its whole
// connect timeout (the transport then retries): with ErrNoOffer when it
// answers, ErrNoAnswer when it offers (as actr's rule makes the larger id
// do, and the in-process hub the smaller).
func TestOfferTimeoutEndsAnAttemptThePeerIgnores(t *testing.T) {
	for _, tc := range []struct {
		name, dialler string
		want          error
	}{
		{"the dialler answers", "acme:late@1.901", ErrNoOffer},
		{"the dialler offers", "acme:late@1.100", ErrNoAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			hub := newPipeHub()
			cfg := hostileConfig()
			cfg.MaxInboundSetups = 1
			cfg.InboundSetupTimeout = time.Minute
			cfg.InboundSetupEvictAge = -1
			node := newHubNode(t, hub, "acme:node@1.500", cfg, newRecorder())
			node.co.mu.Lock()
			node.co.refusalRate = 0 // every refusal over the rate: none is told
			node.co.mu.Unlock()
			lateCfg := hostileConfig()
			lateCfg.OfferTimeout = 200 * time.Millisecond
			late := newHubNode(t, hub, tc.dialler, lateCfg, newRecorder())

			offer := true
			assign := &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleAssignment{RoleAssignment: &protocol.RoleAssignment{IsOfferer: &offer}}}
			node.co.dispatch(signaling.Relay{From: protocol.MustParseActorID("acme:stranger@1.1000"), Msg: assign})
			waitSetups(t, ctx, node.co, func(n int) bool { return n == 1 })

			c := late.co.Wire(node.id, newRecorder(), nil)
			defer c.Close()
			// ctx has a minute: only OfferTimeout can end the attempt sooner.
			if err := c.Connect(ctx); !errors.Is(err, tc.want) {
				t.Fatalf("dialling a node that ignores us: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestHostileH9RemoteCandidatesCappedAndFiltered: a peer relays 150
// candidates, and more in its answer. At most MaxRemoteCandidates reach
// ICE; with LoopbackOnly every one naming another address is refused;
// unspecified, multicast, port-0, TCP and malformed ones too; each
// counted by reason.
func TestHostileH9RemoteCandidatesCappedAndFiltered(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	cfg := hostileConfig()
	node := newHubNode(t, hub, "acme:node@1.1", cfg, newRecorder())
	evil := protocol.MustParseActorID("acme:evil@1.2")
	evilSig := hub.join(evil)
	handed := make(chan []string, 1)
	handed <- nil
	node.co.candidateAdded = func(line string) { handed <- append(<-handed, line) }

	// The node is told to offer; evil answers with a real PeerConnection.
	offerer := true
	node.co.dispatch(signaling.Relay{From: evil, Msg: &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleAssignment{
		RoleAssignment: &protocol.RoleAssignment{IsOfferer: &offerer}}}})
	var offer *protocol.SessionDescription
	for offer == nil {
		select {
		case r := <-evilSig.relays:
			if sd := r.Msg.GetSessionDescription(); sd != nil {
				offer = sd
			}
		case <-ctx.Done():
			t.Fatal("no offer from the node")
		}
	}
	ans := pionAnswer(t, offer.GetSdp())
	st, err := hostileConfig().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.close() }()
	// In the answer: 5 loopback candidates and 5 on another network.
	var extra strings.Builder
	for i := range 5 {
		fmt.Fprintf(&extra, "a=candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host\r\n", 900+i, 30000+i)
		fmt.Fprintf(&extra, "a=candidate:%d 1 udp 2130706431 10.1.2.%d 30000 typ host\r\n", 950+i, i+1)
	}
	sdp := strings.Replace(ans.SDP, "a=ice-ufrag:", extra.String()+"a=ice-ufrag:", 1)
	ufrag := sdpUfrag(sdp)
	node.co.dispatch(signaling.Relay{From: evil, Msg: &protocol.ActrRelay{Payload: &protocol.ActrRelay_SessionDescription{
		SessionDescription: &protocol.SessionDescription{Type: protocol.SessionDescription_ANSWER.Enum(), Sdp: &sdp}}}})

	// Trickled: 150, of which 100 loopback the node could check.
	var lines []string
	for i := range 100 {
		lines = append(lines, fmt.Sprintf("candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host", i, 40000+i))
	}
	for i := range 10 {
		lines = append(lines,
			fmt.Sprintf("candidate:%d 1 udp 2130706431 192.0.2.%d 5000 typ host", 200+i, i+1), // off network
			fmt.Sprintf("candidate:%d 1 udp 2130706431 0.0.0.0 %d typ host", 300+i, 5000+i),   // unspecified
			fmt.Sprintf("candidate:%d 1 udp 2130706431 224.0.0.%d 5000 typ host", 400+i, i+1), // multicast
			fmt.Sprintf("candidate:%d 1 udp 2130706431 127.0.0.1 0 typ host", 500+i),          // port 0
		)
	}
	for i := range 5 {
		lines = append(lines,
			fmt.Sprintf("candidate:%d 1 tcp 2130706431 127.0.0.1 %d typ host tcptype active", 600+i, 6000+i), // TCP: not used
			"candidate:garbage "+strings.Repeat("x", i),
		)
	}
	if len(lines) != 150 {
		t.Fatalf("%d candidates", len(lines))
	}
	for _, l := range lines {
		node.co.dispatch(signaling.Relay{From: evil, Msg: &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceCandidate{
			IceCandidate: &protocol.IceCandidate{Candidate: &l, UsernameFragment: &ufrag}}}})
	}
	s := node.co.current(evil)
	if s == nil {
		t.Fatal("the node has no session with the peer")
	}
	settleSession(t, ctx, s)

	c := &node.co.counters
	limit := uint64(st.MaxRemoteCandidates)
	// What reached ICE: no more than the cap, every one a loopback UDP
	// address with a port.
	toICE := <-handed
	if len(toICE) > int(limit) {
		t.Fatalf("%d remote candidates reached ICE, over the cap %d", len(toICE), limit)
	}
	for _, l := range toICE {
		if !strings.Contains(l, " udp ") || !strings.Contains(l, " 127.0.0.1 ") || strings.Contains(l, " 127.0.0.1 0 ") {
			t.Errorf("ICE was given %q", l)
		}
	}
	if got := c.CandidatesAccepted.Load(); got != limit {
		t.Fatalf("%d candidates accepted, want the cap %d", got, limit)
	}
	if got, want := c.CandidatesOverCap.Load(), uint64(105)-limit; got != want {
		t.Fatalf("%d over the cap, want %d", got, want)
	}
	if got := c.CandidatesOffNetwork.Load(); got != 5+10+5 {
		t.Fatalf("%d off network, want 20", got)
	}
	if got := c.CandidatesBadAddress.Load(); got != 30 {
		t.Fatalf("%d with a bad address, want 30", got)
	}
	if got := c.CandidatesMalformed.Load(); got != 5 {
		t.Fatalf("%d malformed, want 5", got)
	}
	t.Logf("150 trickled + 10 in the answer: %d accepted, %d over the cap, %d off network, %d bad address, %d malformed; %d reached ICE",
		c.CandidatesAccepted.Load(), c.CandidatesOverCap.Load(), c.CandidatesOffNetwork.Load(), c.CandidatesBadAddress.Load(), c.CandidatesMalformed.Load(), len(toICE))
}
