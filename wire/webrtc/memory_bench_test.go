package webrtc_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"

	"github.com/pion/datachannel"
	"github.com/pion/ice/v4"
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// idlePeers is how many connected peers each arm of
// BenchmarkIdleMemoryPerPeer holds at once.
const idlePeers = 100

// BenchmarkIdleMemoryPerPeer measures what an idle WebRTC peer costs,
// both ends counted, against a bare pion pair measured in the same run.
//
// actr: one hub node and idlePeers client nodes, all registered with the
// signaling server before the measurement starts (as the WebSocket
// benchmark creates its managers first); each client sends one message
// to the hub, which connects a WebRTC wire, and the hub adopts it.
// Config{LoopbackOnly: true}, every other setting at its default.
//
// bare: idlePeers pairs of pion PeerConnections made by one API with the
// same SettingEngine choices (host candidates on 127.0.0.1, UDP4 only, no
// mDNS, default ICE timers, detached data channels), each end with the
// same 4 data channels as a session (opened in-band by the offerer, with
// actr's labels, the same ordering and retransmit limits), offer, answer
// and candidates passed in memory. A pion user who detaches channels must
// read them to receive anything: each end runs one reader goroutine per channel with a
// 65535-byte buffer, which is what actr does and what pion itself does
// for a channel it does not detach (one readLoop goroutine per channel
// with a buffer of that size).
//
// Reported: heap+stack bytes (HeapInuse+StackInuse after two GCs, and
// its parts) and goroutines per peer. The ratio is actr ÷ bare (goal
// <= 1.1). One op is the whole run; use -benchtime 1x.
func BenchmarkIdleMemoryPerPeer(b *testing.B) {
	b.Run("bare", benchIdleBare)
	b.Run("actr", benchIdleActr)
}

func benchIdleBare(b *testing.B) {
	for range b.N {
		b.StopTimer()
		ctx := benchGuard(b)
		api := bareDetachedAPI()
		pairs := make([]*bareIdlePair, 0, idlePeers)
		closeAll := func() {
			for _, p := range pairs {
				p.close()
			}
		}
		before := settledMemory()
		b.StartTimer()
		for range idlePeers {
			p, err := newBareIdlePair(api)
			if err != nil {
				closeAll()
				b.Fatal(err)
			}
			pairs = append(pairs, p)
			if err := p.waitOpen(ctx); err != nil {
				closeAll()
				b.Fatal(err)
			}
		}
		b.StopTimer()
		after := settledMemory()
		reportIdle(b, before, after)
		closeAll()
	}
}

func benchIdleActr(b *testing.B) {
	for range b.N {
		b.StopTimer()
		ctx := benchGuard(b)
		url := startSignaling(b)
		cfg := benchConfig()
		discard := transport.WithHandler(transport.HandlerFunc(func(context.Context, transport.Message) {}))
		hub := newNode(b, ctx, url, nodeOpts{cfg: &cfg, noEvents: true, mgrOpts: []transport.Option{discard}})
		clients := make([]*testNode, idlePeers)
		for i := range clients {
			clients[i] = newNode(b, ctx, url, nodeOpts{cfg: &cfg, noEvents: true, noAccept: true})
		}
		closeAll := func() {
			for _, c := range clients {
				c.close()
			}
			hub.close()
		}
		sub := hub.mgr.Subscribe(16 * idlePeers) // a few events per connection; none may be missed
		before := settledMemory()
		b.StartTimer()
		for _, c := range clients {
			if err := c.mgr.Send(ctx, transport.Actor(hub.id), protocol.RPCReliable, []byte("hi")); err != nil {
				sub.Close()
				closeAll()
				b.Fatal(err)
			}
		}
		// The hub adopts each connection once its own end is ready, which
		// may be just after the client's.
		for adopted := 0; adopted < idlePeers; {
			select {
			case ev := <-sub.Events():
				if ev.Kind == transport.EventWireAdopted && ev.WireKind == transport.WireWebRTC {
					adopted++
				}
			case <-ctx.Done():
				sub.Close()
				closeAll()
				b.Fatalf("the hub adopted %d of %d connections", adopted, idlePeers)
			}
		}
		b.StopTimer()
		sub.Close()
		after := settledMemory()
		reportIdle(b, before, after)
		// The baseline must have the channels actr has.
		if conn, ok := clients[0].co.Conn(hub.id); !ok {
			b.Error("client 0 has no connected Conn to the hub")
		} else {
			// The peer's channels arrive one by one.
			chans, _ := webrtc.AwaitChannels(ctx, conn, func(c []webrtc.ChannelInfo) bool { return len(c) >= len(bareChannels) })
			if err := checkBareChannels(chans); err != nil {
				b.Error(err)
			}
		}
		closeAll()
	}
}

// reportIdle reports the growth from before to after per peer: B/peer
// (heap and stack spans in use, the figure compared), and its parts
// heap-B/peer and stack-B/peer, and live-B/peer (the bytes of the live
// heap objects: heap-B/peer less the free space in the spans in use).
func reportIdle(b *testing.B, before, after memSample) {
	per := func(a, b uint64) float64 { return float64(int64(a)-int64(b)) / idlePeers }
	b.ReportMetric(per(after.heap+after.stack, before.heap+before.stack), "B/peer")
	b.ReportMetric(per(after.heap, before.heap), "heap-B/peer")
	b.ReportMetric(per(after.stack, before.stack), "stack-B/peer")
	b.ReportMetric(per(after.live, before.live), "live-B/peer")
	b.ReportMetric(float64(after.goroutines-before.goroutines)/idlePeers, "goroutines/peer")
}

type memSample struct {
	heap, stack, live uint64 // HeapInuse, StackInuse, HeapAlloc
	goroutines        int
}

// settledMemory samples memory and goroutines after garbage collection.
func settledMemory() memSample {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{heap: ms.HeapInuse, stack: ms.StackInuse, live: ms.HeapAlloc, goroutines: runtime.NumGoroutine()}
}

// bareChannels are the data channels of a session (wire/webrtc's
// channelSpecs), as a pion user would declare them: opened in-band by the
// offerer, labelled as actr labels them.
var bareChannels = [...]struct {
	label          string
	ordered        bool
	maxRetransmits int // < 0: fully reliable
}{
	{"RPC_RELIABLE", true, -1},
	{"RPC_SIGNAL", true, -1},
	{"STREAM_RELIABLE", true, -1},
	{"STREAM_LATENCY_FIRST", false, webrtc.LatencyFirstMaxRetransmits},
}

// checkBareChannels reports a difference between bareChannels and the
// channels of a connected actr Conn.
func checkBareChannels(got []webrtc.ChannelInfo) error {
	if len(got) != len(bareChannels) {
		return fmt.Errorf("actr has %d data channels, the bare baseline %d", len(got), len(bareChannels))
	}
	for i, want := range bareChannels {
		g := got[i]
		retransmits := -1
		if g.MaxRetransmits != nil {
			retransmits = int(*g.MaxRetransmits)
		}
		if g.Label != want.label || g.Ordered != want.ordered || retransmits != want.maxRetransmits {
			return fmt.Errorf("actr's data channel %d is %+v (max retransmits %d), the bare baseline's %+v", i, g, retransmits, want)
		}
	}
	return nil
}

// bareDetachedAPI is bareAPI with detached data channels, as
// webrtc.Config{LoopbackOnly: true} makes it.
func bareDetachedAPI() *pion.API {
	var se pion.SettingEngine
	se.DetachDataChannels()
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return pion.NewAPI(pion.WithSettingEngine(se))
}

// bareIdlePair is two PeerConnections connected in memory, the offerer
// opening the bareChannels in-band, each end detaching them once open
// and reading each with one
// goroutine per channel that discards what it reads.
type bareIdlePair struct {
	pcs    [2]*pion.PeerConnection
	opened chan error // one value per channel end detached (or failed)

	mu      sync.Mutex
	closed  bool
	rwcs    []datachannel.ReadWriteCloser
	readers sync.WaitGroup
}

func newBareIdlePair(api *pion.API) (*bareIdlePair, error) {
	p := &bareIdlePair{opened: make(chan error, 2*len(bareChannels))}
	for i := range p.pcs {
		pc, err := api.NewPeerConnection(pion.Configuration{})
		if err != nil {
			p.close()
			return nil, err
		}
		p.pcs[i] = pc
		if i == 1 {
			// The answerer takes the offerer's channels as they arrive.
			pc.OnDataChannel(func(dc *pion.DataChannel) {
				dc.OnOpen(func() { p.opened <- p.detach(dc) })
			})
			continue
		}
		// The offerer opens them in-band, as actr does.
		for _, ch := range bareChannels {
			ordered := ch.ordered
			init := &pion.DataChannelInit{Ordered: &ordered}
			if ch.maxRetransmits >= 0 {
				r := uint16(ch.maxRetransmits)
				init.MaxRetransmits = &r
			}
			dc, err := pc.CreateDataChannel(ch.label, init)
			if err != nil {
				p.close()
				return nil, err
			}
			dc.OnOpen(func() { p.opened <- p.detach(dc) })
		}
	}
	a, bb := p.pcs[0], p.pcs[1]
	toB, toA := &trickle{to: bb}, &trickle{to: a}
	a.OnICECandidate(toB.candidate)
	bb.OnICECandidate(toA.candidate)
	err := func() error {
		offer, err := a.CreateOffer(nil)
		if err != nil {
			return err
		}
		if err := a.SetLocalDescription(offer); err != nil {
			return err
		}
		if err := bb.SetRemoteDescription(offer); err != nil {
			return err
		}
		toB.remoteSet()
		answer, err := bb.CreateAnswer(nil)
		if err != nil {
			return err
		}
		if err := bb.SetLocalDescription(answer); err != nil {
			return err
		}
		if err := a.SetRemoteDescription(answer); err != nil {
			return err
		}
		toA.remoteSet()
		return nil
	}()
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// detach takes over an open channel and starts its reader.
func (p *bareIdlePair) detach(dc *pion.DataChannel) error {
	rwc, err := dc.Detach()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = rwc.Close()
		return errors.New("closed")
	}
	p.rwcs = append(p.rwcs, rwc)
	p.readers.Add(1)
	go func() {
		defer p.readers.Done()
		buf := make([]byte, 65535)
		for {
			if _, _, err := rwc.ReadDataChannel(buf); err != nil {
				return
			}
		}
	}()
	return nil
}

// waitOpen waits until every channel end is open and read.
func (p *bareIdlePair) waitOpen(ctx context.Context) error {
	for range 2 * len(bareChannels) {
		select {
		case err := <-p.opened:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// close closes both PeerConnections and the detached channels, and waits
// for the readers.
func (p *bareIdlePair) close() {
	for _, pc := range p.pcs {
		if pc != nil {
			_ = pc.GracefulClose()
		}
	}
	p.mu.Lock()
	p.closed = true
	rwcs := p.rwcs
	p.rwcs = nil
	p.mu.Unlock()
	for _, rwc := range rwcs {
		_ = rwc.Close()
	}
	p.readers.Wait()
}
