package turnserver

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/turn/v5"
)

// Counters are what a Server did and refused, for metrics and tests.
type Counters struct {
	AllocationsCreated atomic.Uint64
	// Refusals by reason: a user name that is not a TURN REST one, an
	// expired credential, a password that does not match (forged), an
	// actor of a realm not relayed, the allocation quotas, a refresh of an
	// allocation past MaxAllocationAge, a permission for a peer address
	// relays may not reach.
	RefusedMalformed atomic.Uint64
	RefusedExpired   atomic.Uint64
	RefusedForged    atomic.Uint64
	RefusedRealm     atomic.Uint64
	RefusedQuota     atomic.Uint64
	RefusedAge       atomic.Uint64
	RefusedPeer      atomic.Uint64
	// Bytes relayed, to peers (from clients) and from peers (to clients),
	// and the datagrams and bytes dropped over AllocationBandwidth.
	RelayedToPeers    atomic.Uint64
	RelayedFromPeers  atomic.Uint64
	DroppedDatagrams  atomic.Uint64
	DroppedBytes      atomic.Uint64
	AllocationsFailed atomic.Uint64
}

// Server is a running STUN and TURN server.
type Server struct {
	cfg      Config
	pion     *turn.Server
	counters Counters

	mu       sync.Mutex
	perActor map[string]int       // live allocations by actor (auth's user id)
	live     int                  // live allocations in all
	born     map[string]time.Time // allocation start by client address
	closed   bool

	pcs []net.PacketConn
	lns []net.Listener
}

// Start serves STUN and TURN on the given sockets: UDP packet conns, and
// TCP (or TLS) listeners, which the server owns from then on (Close
// closes them). At least one is needed.
func Start(cfg Config, packetConns []net.PacketConn, listeners []net.Listener) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(packetConns) == 0 && len(listeners) == 0 {
		return nil, errors.New("turnserver: nothing to listen on: give a UDP or TCP address (--turn-listen)")
	}
	s := &Server{cfg: cfg, perActor: map[string]int{}, born: map[string]time.Time{}, pcs: packetConns, lns: listeners}
	var inner turn.RelayAddressGenerator = &turn.RelayAddressGeneratorStatic{RelayAddress: cfg.RelayIP, Address: cfg.RelayBind, Net: cfg.Net}
	if cfg.RelayPortMin != 0 {
		inner = &turn.RelayAddressGeneratorPortRange{RelayAddress: cfg.RelayIP, Address: cfg.RelayBind, Net: cfg.Net,
			MinPort: cfg.RelayPortMin, MaxPort: cfg.RelayPortMax}
	}
	gen := &relayGenerator{s: s, inner: inner}
	sc := turn.ServerConfig{
		Realm:              cfg.Realm,
		AuthHandler:        s.authenticate,
		QuotaHandler:       s.quota,
		AllocationLifetime: cfg.AllocationLifetime,
		LoggerFactory:      cfg.PionLogger,
		EventHandler: turn.EventHandler{
			OnAuth:              s.onAuth,
			OnAllocationCreated: s.onAllocationCreated,
			OnAllocationDeleted: s.onAllocationDeleted,
			OnAllocationError: func(_, _ net.Addr, _, _ string) {
				s.counters.AllocationsFailed.Add(1)
			},
		},
	}
	for _, pc := range packetConns {
		sc.PacketConnConfigs = append(sc.PacketConnConfigs, turn.PacketConnConfig{PacketConn: pc, RelayAddressGenerator: gen, PermissionHandler: s.permit})
	}
	for _, l := range listeners {
		sc.ListenerConfigs = append(sc.ListenerConfigs, turn.ListenerConfig{Listener: l, RelayAddressGenerator: gen, PermissionHandler: s.permit})
	}
	if s.pion, err = turn.NewServer(sc); err != nil {
		return nil, fmt.Errorf("turnserver: %w", err)
	}
	return s, nil
}

// Counters returns the server's counters.
func (s *Server) Counters() *Counters { return &s.counters }

// Allocations returns the live allocations.
func (s *Server) Allocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live
}

// Realm returns the server's TURN realm.
func (s *Server) Realm() string { return s.cfg.Realm }

// Close stops the server: its sockets and every allocation's.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return s.pion.Close()
}

// realmOK says whether actors of realm may allocate.
func (s *Server) realmOK(realm uint32) bool {
	return len(s.cfg.Realms) == 0 || slices.Contains(s.cfg.Realms, realm)
}

// permit screens the peers a client asks permission to send to.
func (s *Server) permit(client net.Addr, peer net.IP) bool {
	switch {
	case peer == nil, peer.IsUnspecified(), peer.IsMulticast(), peer.Equal(net.IPv4bcast),
		peer.IsLoopback() && !s.cfg.AllowLoopbackPeers:
		s.counters.RefusedPeer.Add(1)
		s.cfg.Logger.Debug("turn: permission refused", "client", client.String(), "peer", peer.String())
		return false
	}
	return true
}
