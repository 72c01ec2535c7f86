package webrtc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5"
	pion "github.com/pion/webrtc/v4"
)

// Config configures a Coordinator: how its PeerConnections gather and
// check candidates, and the limits of its data channels. The zero value
// works on a public network with no STUN or TURN server; every duration
// and size has a default.
type Config struct {
	// ICEServers are the STUN and TURN servers (URLs, username, credential).
	ICEServers []pion.ICEServer
	// ICEServersFunc, when set, is asked for more servers for each new
	// PeerConnection, after ICEServers: the ones the signaling server
	// handed out with the current credential (see iceservers.go).
	ICEServersFunc func() []pion.ICEServer
	// ICETransportPolicy "relay" gathers relay candidates only: every
	// session goes through TURN (default: all candidates).
	ICETransportPolicy pion.ICETransportPolicy
	// ICEDisconnectedTimeout, ICEFailedTimeout and ICEKeepaliveInterval are
	// pion's ICE timers (defaults 5 s, 25 s, 2 s). A peer that vanishes is
	// declared failed ICEFailedTimeout after it stopped answering, plus
	// the ICE restarts below.
	ICEDisconnectedTimeout time.Duration
	ICEFailedTimeout       time.Duration
	ICEKeepaliveInterval   time.Duration
	// ICERestarts bounds the ICE restarts the offering side tries, each
	// waiting up to ICEFailedTimeout, before the wire is declared failed
	// (default 2; negative: none).
	ICERestarts int
	// NetworkTypes limits candidate gathering (default: UDP over IPv4 and
	// IPv6).
	NetworkTypes []pion.NetworkType
	// InterfaceFilter, when set, keeps only the interfaces it accepts.
	InterfaceFilter func(name string) bool
	// Interfaces and LocalNetworks, when set, keep only the interfaces
	// so named and the addresses in those networks for gathering (see
	// networks.go); RemoteNetworks, below, does the same for what peers
	// send.
	Interfaces    []string
	LocalNetworks []netip.Prefix
	// PortMin and PortMax, when set, bound the local UDP ports.
	PortMin, PortMax uint16
	// LoopbackOnly gathers host candidates on 127.0.0.1 only, with no mDNS:
	// for tests and single-machine setups. It is ignored when Net is set.
	LoopbackOnly bool
	// Net, when set, replaces the operating system's network: pion's
	// virtual network (github.com/pion/transport/v5/vnet) simulates
	// partitions, loss and delay in tests.
	Net transport.Net

	// UDPMux makes all the Coordinator's PeerConnections share one UDP
	// socket per local address, on UDPMuxPort (0: a free port each),
	// instead of a socket per PeerConnection: fewer sockets, and a fixed
	// port to open in a firewall.
	UDPMux     bool
	UDPMuxPort int
	// UDPSocketBuffer is the kernel receive and send buffer, in bytes,
	// asked for on every UDP socket, shared or not (default
	// DefaultUDPSocketBuffer; negative: the operating system's default).
	// The kernel grants at most net.core.rmem_max (wmem_max) unless the
	// process has CAP_NET_ADMIN; a smaller grant is logged once, at warn
	// level. With the OS default a receiver scheduled late drops
	// datagrams, and pion's SCTP can take hundreds of milliseconds to
	// recover (see DefaultUDPSocketBuffer). It does not apply with Net.
	UDPSocketBuffer int
	// SCTPChecksums keeps the CRC32c checksum on every SCTP packet. By
	// default actr offers RFC 9653's zero checksum instead: SCTP runs
	// inside DTLS, whose AEAD already authenticates every record, and a
	// peer that does not take the offer (the parameter is one an older
	// stack skips) is sent checksums as before. Set it for a peer that
	// mishandles the offer.
	SCTPChecksums bool

	// MaxMessageSize bounds a message, on send (a
	// *transport.MessageTooLargeError) and on reassembly (default 16 MiB).
	MaxMessageSize int
	// ReassemblyTimeout drops a fragmented message whose next fragment is
	// this late (default 10 s).
	ReassemblyTimeout time.Duration
	// BufferedAmountHigh is how many bytes a data channel may have queued
	// before Send waits for it to drain to BufferedAmountLow (defaults
	// 1 MiB and 256 KiB).
	BufferedAmountHigh, BufferedAmountLow int
	// ChannelOpenTimeout bounds, after ICE has connected, the wait for the
	// peer's RPC_RELIABLE channel (or ours) to open, and a Send's wait for
	// the channel its lane opens (default 10 s).
	ChannelOpenTimeout time.Duration

	// StallTimeout fails a wire whose peer stopped reading: when a Send
	// waits for a data channel to drain and the channel's queue drains not
	// one byte for this long, the wire fails with an error matching
	// transport.ErrStalled, and every Send waiting on it returns that
	// error, whatever its ctx (default DefaultStallTimeout; negative: never,
	// which leaves a Send to a stalled peer waiting for its ctx only). The
	// queue is looked at once per StallTimeout, so a stall is found one to
	// two StallTimeouts after the last byte drained. A queue below
	// BufferedAmountHigh, which no Send waits on, is not watched.
	StallTimeout time.Duration

	// MaxInboundSetups caps the sessions being set up for peers that
	// connect to this node (sessions it did not dial), from the peer's
	// role negotiation or offer until the session is ready. When every
	// place is taken, the oldest setup past InboundSetupEvictAge gives its
	// place to the newcomer (closed, counted in Counters.SetupsEvicted);
	// if none is that old, the newcomer is refused at once: no
	// PeerConnection is made, the peer is told (see ErrSessionRefused)
	// and it is counted (default DefaultMaxInboundSetups). One peer holds
	// at most one such session, plus one ending after it started over.
	// Sessions this node dials are not counted.
	MaxInboundSetups int
	// InboundSetupTimeout closes an inbound session that is not ready
	// this long after the peer started it (default
	// DefaultInboundSetupTimeout).
	InboundSetupTimeout time.Duration
	// OfferTimeout bounds how long a Connect waits for the peer's half of
	// the exchange: its offer after the role negotiation when this node
	// answers, its answer after our offer when this node offers (default
	// DefaultOfferTimeout; negative: only the Connect's ctx). A peer that
	// is refusing sessions, whose refusals are rate-limited, sends nothing:
	// this bound makes the attempt fail with ErrNoOffer or ErrNoAnswer in
	// seconds, and the transport retry, instead of waiting out its whole
	// connect timeout.
	OfferTimeout time.Duration
	// InboundSetupEvictAge is how old an inbound setup must be before a
	// newcomer may take its place when MaxInboundSetups are taken (default
	// DefaultInboundSetupEvictAge; negative: never, newcomers are refused
	// until a place frees up). Without it, strangers that start sessions
	// and never finish them hold every place for InboundSetupTimeout
	// each, so a few a second keep every new peer out; with it, they must
	// start MaxInboundSetups sessions per InboundSetupEvictAge, while a
	// peer that answers completes well within it.
	InboundSetupEvictAge time.Duration

	// MaxRemoteCandidates caps the ICE candidates a peer may relay per
	// session and ICE generation, counting those in its session
	// descriptions; the rest are dropped and counted, so a peer cannot
	// make this node check (send STUN to) more addresses than that
	// (default DefaultMaxRemoteCandidates).
	MaxRemoteCandidates int
	// RemoteNetworks, when set, are the only networks a peer's candidates
	// may name: a candidate whose address is in none of them is dropped
	// and counted. With LoopbackOnly (and no Net), only loopback
	// addresses are taken, whatever RemoteNetworks says. Candidates naming
	// an unspecified, multicast or broadcast address, or port 0, are always
	// dropped, as are those of a network type the node does not use
	// (NetworkTypes).
	RemoteNetworks []netip.Prefix

	// ReassemblyPeerBytes is how many bytes the fragmented messages being
	// reassembled may hold per peer (default 2 × MaxMessageSize), and
	// ReassemblyBytes how many for all peers together (default
	// DefaultReassemblyBytes, and at least ReassemblyPeerBytes). A message
	// that would go over either is dropped, its remaining fragments
	// skipped, and counted. Buffers grow with the bytes that arrived, never
	// from the sizes fragments announce.
	ReassemblyPeerBytes, ReassemblyBytes int64

	// Logger receives connection deaths, refused input and ICE restarts.
	// Default: discard. SDP and candidates are logged at debug level only.
	Logger *slog.Logger
}

// DefaultMaxMessageSize is the default Config.MaxMessageSize.
const DefaultMaxMessageSize = 16 << 20

// Defaults of the limits on what a peer may cost this node.
const (
	// DefaultStallTimeout is the default Config.StallTimeout.
	DefaultStallTimeout = 5 * time.Second
	// DefaultMaxInboundSetups is the default Config.MaxInboundSetups.
	DefaultMaxInboundSetups = 64
	// DefaultInboundSetupEvictAge is the default Config.InboundSetupEvictAge.
	DefaultInboundSetupEvictAge = time.Second
	// DefaultOfferTimeout is the default Config.OfferTimeout.
	DefaultOfferTimeout = 3 * time.Second
	// DefaultInboundSetupTimeout is the default Config.InboundSetupTimeout.
	DefaultInboundSetupTimeout = 15 * time.Second
	// DefaultMaxRemoteCandidates is the default Config.MaxRemoteCandidates.
	DefaultMaxRemoteCandidates = 32
	// DefaultReassemblyBytes is the default Config.ReassemblyBytes.
	DefaultReassemblyBytes = 256 << 20
)

// settings are the defaults-applied Config and the pion API built from it.
type settings struct {
	Config
	api *pion.API
	mux io.Closer    // the shared UDP sockets, with UDPMux
	net *bufferedNet // the sockets' network, unless Net or UDPSocketBuffer < 0
	// cands screens the candidates peers relay.
	cands candidateFilter
}

// close releases what withDefaults opened.
func (st *settings) close() error {
	if st.mux == nil {
		return nil
	}
	return st.mux.Close()
}

func (c Config) withDefaults() (*settings, error) {
	if c.ICEDisconnectedTimeout <= 0 {
		c.ICEDisconnectedTimeout = 5 * time.Second
	}
	if c.ICEFailedTimeout <= 0 {
		c.ICEFailedTimeout = 25 * time.Second
	}
	if c.ICEKeepaliveInterval <= 0 {
		c.ICEKeepaliveInterval = 2 * time.Second
	}
	if c.ICERestarts == 0 {
		c.ICERestarts = 2
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.ReassemblyTimeout <= 0 {
		c.ReassemblyTimeout = 10 * time.Second
	}
	if c.BufferedAmountHigh <= 0 {
		c.BufferedAmountHigh = 1 << 20
	}
	if c.BufferedAmountLow <= 0 {
		c.BufferedAmountLow = 256 << 10
	}
	if c.BufferedAmountLow >= c.BufferedAmountHigh {
		return nil, fmt.Errorf("webrtc: BufferedAmountLow (%d) must be below BufferedAmountHigh (%d)", c.BufferedAmountLow, c.BufferedAmountHigh)
	}
	if c.ChannelOpenTimeout <= 0 {
		c.ChannelOpenTimeout = 10 * time.Second
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.MaxInboundSetups <= 0 {
		c.MaxInboundSetups = DefaultMaxInboundSetups
	}
	if c.InboundSetupTimeout <= 0 {
		c.InboundSetupTimeout = DefaultInboundSetupTimeout
	}
	if c.InboundSetupEvictAge == 0 {
		c.InboundSetupEvictAge = DefaultInboundSetupEvictAge
	}
	if c.OfferTimeout == 0 {
		c.OfferTimeout = DefaultOfferTimeout
	}
	if c.MaxRemoteCandidates <= 0 {
		c.MaxRemoteCandidates = DefaultMaxRemoteCandidates
	}
	if c.ReassemblyPeerBytes <= 0 {
		c.ReassemblyPeerBytes = 2 * int64(c.MaxMessageSize)
	}
	if c.ReassemblyBytes <= 0 {
		c.ReassemblyBytes = max(DefaultReassemblyBytes, c.ReassemblyPeerBytes)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if (c.PortMin == 0) != (c.PortMax == 0) || c.PortMin > c.PortMax {
		return nil, errors.New("webrtc: set both PortMin and PortMax, with PortMin <= PortMax")
	}

	var se pion.SettingEngine
	se.DetachDataChannels()
	se.EnableSCTPZeroChecksum(!c.SCTPChecksums)
	se.SetICETimeouts(c.ICEDisconnectedTimeout, c.ICEFailedTimeout, c.ICEKeepaliveInterval)
	// Browsers (Chromium on loopback, any browser hiding its addresses)
	// are learnt as peer-reflexive: nominate their pairs at once, not
	// after pion's default 1 s. Browsers' mDNS (.local) host candidates
	// are resolved (QueryOnly; off below with Net or LoopbackOnly).
	se.SetPrflxAcceptanceMinWait(0)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryOnly)
	if len(c.NetworkTypes) > 0 {
		se.SetNetworkTypes(c.NetworkTypes)
	} else {
		se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeUDP6})
	}
	if c.InterfaceFilter != nil {
		se.SetInterfaceFilter(c.InterfaceFilter)
	}
	localIPs, err := c.localFilters(&se)
	if err != nil {
		return nil, err
	}
	if c.PortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(c.PortMin, c.PortMax); err != nil {
			return nil, fmt.Errorf("webrtc: port range: %w", err)
		}
	}
	if c.Net != nil {
		se.SetNet(c.Net)
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	} else if c.LoopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
		se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	if c.UDPMuxPort < 0 || c.UDPMuxPort > 65535 {
		return nil, errors.New("webrtc: UDPMuxPort must be 0-65535")
	}
	if c.UDPSocketBuffer == 0 {
		c.UDPSocketBuffer = DefaultUDPSocketBuffer
	}
	for _, p := range c.RemoteNetworks {
		if !p.IsValid() {
			return nil, errors.New("webrtc: RemoteNetworks holds an invalid prefix")
		}
	}
	st := &settings{Config: c, cands: newCandidateFilter(&c)}
	var netw transport.Net = c.Net
	if c.Net == nil && c.UDPSocketBuffer > 0 {
		bn, err := newBufferedNet(c.UDPSocketBuffer, c.warnSocketBuffer())
		if err != nil {
			return nil, fmt.Errorf("webrtc: listing the network interfaces: %w", err)
		}
		netw, st.net = bn, bn
		se.SetNet(bn)
	}
	if c.UDPMux {
		mux, err := c.udpMux(netw, localIPs)
		if err != nil {
			return nil, err
		}
		se.SetICEUDPMux(mux)
		st.mux = mux
	}
	st.api = pion.NewAPI(pion.WithSettingEngine(se))
	return st, nil
}

// udpMux opens the shared UDP sockets through netw (nil: the operating
// system's), on the same addresses candidate gathering would use.
func (c *Config) udpMux(netw transport.Net, localIPs func(net.IP) bool) (*ice.MultiUDPMuxDefault, error) {
	opts := []ice.UDPMuxFromPortOption{}
	if c.InterfaceFilter != nil || len(c.Interfaces) > 0 {
		opts = append(opts, ice.UDPMuxFromPortWithInterfaceFilter(func(name string) bool {
			return (c.InterfaceFilter == nil || c.InterfaceFilter(name)) && (len(c.Interfaces) == 0 || slices.Contains(c.Interfaces, name))
		}))
	}
	if localIPs != nil {
		opts = append(opts, ice.UDPMuxFromPortWithIPFilter(localIPs))
	}
	if netw != nil {
		opts = append(opts, ice.UDPMuxFromPortWithNet(netw))
	}
	if c.Net == nil && c.LoopbackOnly { // as in withDefaults, Net wins
		opts = append(opts, ice.UDPMuxFromPortWithLoopback(),
			ice.UDPMuxFromPortWithIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil }),
			ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4))
	}
	mux, err := ice.NewMultiUDPMuxFromPort(c.UDPMuxPort, opts...)
	if err != nil {
		return nil, fmt.Errorf("webrtc: opening the shared UDP sockets on port %d: %w", c.UDPMuxPort, err)
	}
	return mux, nil
}

// warnSocketBuffer returns the report of a socket whose buffer the kernel
// capped below UDPSocketBuffer: logged once per Coordinator, since every
// socket after the first gets the same answer.
func (c *Config) warnSocketBuffer() func(got int) {
	var once sync.Once
	log, want := c.Logger, c.UDPSocketBuffer
	return func(got int) {
		once.Do(func() {
			log.Warn("the kernel capped the UDP socket buffers: under load, datagrams are dropped and SCTP stalls to recover; raise net.core.rmem_max and net.core.wmem_max, or grant CAP_NET_ADMIN",
				"asked", want, "granted", got)
		})
	}
}
