package webrtc_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	ptransport "github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/transport/v5/vnet"
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/turnserver"
	"github.com/actr-go/actr/wire/webrtc"
)

// The NAT tests put nodes behind pion's simulated NATs (vnet): a "WAN"
// router on 1.2.3.0/24 with the STUN/TURN server at 1.2.3.4:3478, and for
// each node either a public address on the WAN or a LAN of its own
// behind a NAT router of the given type. Signaling (and WebSocket) stay on
// the real 127.0.0.1; the signaling server hands each node the STUN and
// TURN URLs and a TURN credential, as in production.

const (
	natWANCIDR = "1.2.3.0/24"
	natTURNIP  = "1.2.3.4"
	natTURN    = natTURNIP + ":3478"
)

var (
	// fullCone maps and filters independently of the endpoint: anyone may
	// send to a mapping once made (RFC 4787 EIM, EIF).
	fullCone = &vnet.NATType{MappingBehavior: vnet.EndpointIndependent, FilteringBehavior: vnet.EndpointIndependent}
	// symmetric maps each destination to a new port and takes packets
	// only from the endpoint a mapping was made for: srflx candidates
	// learnt from STUN are useless to peers.
	symmetric = &vnet.NATType{MappingBehavior: vnet.EndpointAddrPortDependent, FilteringBehavior: vnet.EndpointAddrPortDependent}
)

// natHost is where one node sits: nat nil is a public address on the
// WAN (or several, ips), else a LAN behind a NAT of that type.
type natHost struct {
	nat *vnet.NATType
	ips []string
}

type natWorld struct {
	*faultWorld
	wan   *vnet.Router
	nets  []*vnet.Net
	ips   [][]string // each host's own addresses (a NATed host's on its LAN)
	turn  *turnserver.Server
	tcp   string // TURN over TCP on 127.0.0.1, if asked for
	udpOK atomic.Bool
	// blocked, when set, drops every packet from or to that address.
	blocked atomic.Pointer[string]
}

type natOpts struct {
	// tcpTURN also serves TURN over TCP, on the real 127.0.0.1 (vnet has
	// no TCP): nodes reach it through tcpLoopbackNet.
	tcpTURN bool
	// bandwidth is the TURN server's AllocationBandwidth (0: its default).
	bandwidth int
	// allocationLifetime is the TURN server's (0: its default);
	// credentialTTL and heartbeat the signaling server's (0: theirs).
	allocationLifetime, credentialTTL, heartbeat time.Duration
	// stunOnly hands nodes the STUN URL alone: no relay candidates, for
	// tests about direct paths (under load pion may nominate a relay
	// pair that succeeded first).
	stunOnly bool
}

func newNATWorld(t *testing.T, o natOpts, hosts ...natHost) *natWorld {
	t.Helper()
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: natWANCIDR, LoggerFactory: lf})
	if err != nil {
		t.Fatal(err)
	}
	w := &natWorld{wan: wan}
	w.udpOK.Store(true)
	turnNet, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{natTURNIP}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wan.AddNet(turnNet); err != nil {
		t.Fatal(err)
	}
	for i, h := range hosts {
		if h.nat == nil {
			ips := h.ips
			if len(ips) == 0 {
				ips = []string{fmt.Sprintf("1.2.3.%d", 10+i)}
			}
			nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: ips})
			if err != nil {
				t.Fatal(err)
			}
			if err := wan.AddNet(nw); err != nil {
				t.Fatal(err)
			}
			w.nets = append(w.nets, nw)
			w.ips = append(w.ips, ips)
			continue
		}
		lan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: fmt.Sprintf("10.%d.0.0/24", i+1),
			StaticIPs: []string{fmt.Sprintf("1.2.3.%d", 100+i)}, NATType: h.nat, LoggerFactory: lf})
		if err != nil {
			t.Fatal(err)
		}
		if err := wan.AddRouter(lan); err != nil {
			t.Fatal(err)
		}
		nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{fmt.Sprintf("10.%d.0.2", i+1)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := lan.AddNet(nw); err != nil {
			t.Fatal(err)
		}
		w.nets = append(w.nets, nw)
		w.ips = append(w.ips, []string{fmt.Sprintf("10.%d.0.2", i+1)})
	}
	// With UDP blocked, only the TURN server's relays may talk to each
	// other (they are one host; vnet carries UDP only, so that is all).
	wan.AddChunkFilter(func(c vnet.Chunk) bool {
		src, dst := hostOf(c.SourceAddr()), hostOf(c.DestinationAddr())
		if b := w.blocked.Load(); b != nil && (src == *b || dst == *b) {
			return false
		}
		return w.udpOK.Load() || (src == natTURNIP && dst == natTURNIP)
	})
	if err := wan.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wan.Stop() })

	secret := []byte("nat-test-turn-secret-0123456789")
	pc, err := turnNet.ListenPacket("udp4", natTURN)
	if err != nil {
		t.Fatal(err)
	}
	var lns []net.Listener
	urls := []string{"stun:" + natTURN}
	if !o.stunOnly {
		urls = append(urls, "turn:"+natTURN+"?transport=udp")
	}
	if o.tcpTURN {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		w.tcp = ln.Addr().String()
		urls = append(urls, "turn:"+w.tcp+"?transport=tcp")
	}
	if w.turn, err = turnserver.Start(turnserver.Config{Secret: secret, RelayIP: net.ParseIP(natTURNIP), Net: turnNet, AllocationBandwidth: o.bandwidth,
		AllocationLifetime: o.allocationLifetime}, []net.PacketConn{pc}, lns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.turn.Close() })
	s := signalingtest.Start(t, signaling.ServerConfig{TURN: signaling.TURNConfig{Secret: secret, URLs: urls},
		CredentialTTL: o.credentialTTL, HeartbeatInterval: o.heartbeat})
	w.faultWorld = faultWorldOn(s.URL, s.Issuer)
	return w
}

// hostIPs returns host i's own addresses.
func (w *natWorld) hostIPs(i int) []string { return w.ips[i] }

func hostOf(a net.Addr) string {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.IP.String()
	}
	h, _, _ := net.SplitHostPort(a.String())
	return h
}

// natNode is a node on host i of w, using the ICE servers and TURN
// credential its registration handed out.
func (w *natWorld) natNode(t *testing.T, ctx context.Context, i int, o faultNodeOpts) *faultNode {
	t.Helper()
	var sig atomic.Pointer[signaling.Client]
	adjust := o.config
	o.config = func(c *webrtc.Config) {
		c.ICEServersFunc = func() []pion.ICEServer { return webrtc.SignalingICEServers(sig.Load())() }
		if w.tcp != "" {
			c.Net = tcpLoopbackNet{Net: w.nets[i]}
		}
		if adjust != nil {
			adjust(c)
		}
	}
	wrap := o.signaler
	o.signaler = func(c *signaling.Client) webrtc.Signaler {
		sig.Store(c)
		if wrap != nil {
			return wrap(c)
		}
		return c
	}
	return w.node(t, ctx, w.nets[i], o)
}

// tcpLoopbackNet is a vnet.Net whose TCP goes over the real loopback:
// vnet has no TCP, and TURN over TCP is what the UDP-blocked test needs.
type tcpLoopbackNet struct{ *vnet.Net }

var loopbackStd, _ = stdnet.NewNet()

func (n tcpLoopbackNet) ResolveTCPAddr(network, address string) (*net.TCPAddr, error) {
	return loopbackStd.ResolveTCPAddr(network, address)
}

func (n tcpLoopbackNet) DialTCP(network string, laddr, raddr *net.TCPAddr) (ptransport.TCPConn, error) {
	if raddr == nil || !raddr.IP.IsLoopback() {
		return nil, ptransport.ErrNotSupported
	}
	return loopbackStd.DialTCP(network, laddr, raddr)
}

// connectPair sends one message from a to b and waits for it: the
// WebRTC wire (or another) is then up.
func connectPair(t *testing.T, ctx context.Context, a, b *faultNode, data string) {
	t.Helper()
	b.in.mu.Lock()
	before := len(b.in.msgs)
	b.in.mu.Unlock()
	if err := a.mgr.Send(ctx, transport.Actor(b.id), protocol.RPCReliable, []byte(data)); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := b.in.wait(t, ctx, before+1)
	if string(msgs[len(msgs)-1].Data) != data {
		t.Fatalf("got %q", msgs[len(msgs)-1].Data)
	}
}

// selectedPair returns the candidate pair n's WebRTC wire to peer uses:
// the wire must exist, and is waited for until ready.
func selectedPair(t *testing.T, ctx context.Context, n *faultNode, peer protocol.ActorID) webrtc.CandidatePair {
	t.Helper()
	var c *webrtc.Conn
	for {
		mark := n.events.mark()
		var ok bool
		if c, ok = n.co.Conn(peer); ok {
			break
		}
		// An inbound session delivers what the peer sent as soon as its
		// channels open, a moment before its Conn is handed to the node
		// (and so visible here): wait for the next WebRTC event, such as
		// that adoption, and look again.
		n.events.await(t, ctx, mark, fmt.Sprintf("a WebRTC wire of %s to %s", n.id, peer), func(ev transport.Event) bool {
			return ev.WireKind == transport.WireWebRTC
		})
	}
	for {
		changed := c.ReadyChanged()
		if c.Ready() {
			p, err := c.SelectedCandidatePair()
			if err != nil {
				t.Fatalf("ready, yet %v", err)
			}
			return p
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("WebRTC wire to %s never ready: %v", peer, ctx.Err())
		}
	}
}

func natGuard(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
