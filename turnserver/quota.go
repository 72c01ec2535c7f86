package turnserver

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/pion/turn/v5"
	"golang.org/x/time/rate"
)

// errQuota refuses an allocation the quota handler let through but that
// lost the race for the last place (pion answers 508).
var errQuota = errors.New("turnserver: allocation quota reached")

// errNoTCPRelay refuses TCP relays (RFC 6062): actr relays UDP only.
var errNoTCPRelay = errors.New("turnserver: TCP relay allocations are not offered (UDP relays only; clients may still reach the server over TCP or TLS)")

// quota is pion's QuotaHandler: a new allocation must fit the actor's
// and the server's caps (486 beyond, counted).
func (s *Server) quota(userID, _ string, src net.Addr) bool {
	s.mu.Lock()
	ok := s.perActor[userID] < s.cfg.MaxAllocationsPerActor && s.live < s.cfg.MaxAllocations
	s.mu.Unlock()
	if !ok {
		s.counters.RefusedQuota.Add(1)
		s.cfg.Logger.Debug("turn: allocation quota reached", "actor", userID, "from", addrString(src))
	}
	return ok
}

// reserve takes a place for one allocation of userID; release gives it
// back.
func (s *Server) reserve(userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.perActor[userID] >= s.cfg.MaxAllocationsPerActor || s.live >= s.cfg.MaxAllocations {
		return false
	}
	s.perActor[userID]++
	s.live++
	return true
}

func (s *Server) release(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perActor[userID]--; s.perActor[userID] <= 0 {
		delete(s.perActor, userID)
	}
	s.live--
}

func (s *Server) onAllocationCreated(src, _ net.Addr, _, _, _ string, _ net.Addr, _ int) {
	s.counters.AllocationsCreated.Add(1)
	s.mu.Lock()
	if len(s.born) < s.cfg.MaxAllocations {
		s.born[addrKey(src)] = time.Now()
	}
	s.mu.Unlock()
}

func (s *Server) onAllocationDeleted(src, _ net.Addr, _, _, _ string) {
	s.mu.Lock()
	delete(s.born, addrKey(src))
	s.mu.Unlock()
}

// relayGenerator makes the relay sockets: each holds one of its actor's
// allocation places until closed, and is rate-limited.
type relayGenerator struct {
	s     *Server
	inner turn.RelayAddressGenerator
}

func (g *relayGenerator) Validate() error { return g.inner.Validate() }

func (g *relayGenerator) AllocatePacketConn(c turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if !g.s.reserve(c.UserID) {
		g.s.counters.RefusedQuota.Add(1)
		return nil, nil, errQuota
	}
	pc, addr, err := g.inner.AllocatePacketConn(c)
	if err != nil {
		g.s.release(c.UserID)
		return nil, nil, err
	}
	return g.s.limit(pc, c.UserID), addr, nil
}

func (g *relayGenerator) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errNoTCPRelay
}

func (g *relayGenerator) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errNoTCPRelay
}

// relayConn is one allocation's relay socket: counted, rate-limited in
// each direction, and giving its place back when pion closes it.
type relayConn struct {
	net.PacketConn
	s       *Server
	user    string
	in, out *rate.Limiter // nil: no cap
	once    sync.Once
}

func (s *Server) limit(pc net.PacketConn, user string) *relayConn {
	rc := &relayConn{PacketConn: pc, s: s, user: user}
	if bw := s.cfg.AllocationBandwidth; bw > 0 {
		rc.in = rate.NewLimiter(rate.Limit(bw), bw)
		rc.out = rate.NewLimiter(rate.Limit(bw), bw)
	}
	return rc
}

// ReadFrom reads what peers send the relay, dropping what is over the
// allocation's bandwidth.
func (c *relayConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		if c.in != nil && !c.in.AllowN(time.Now(), n) {
			c.s.counters.DroppedDatagrams.Add(1)
			c.s.counters.DroppedBytes.Add(uint64(n))
			continue
		}
		c.s.counters.RelayedFromPeers.Add(uint64(n))
		return n, addr, nil
	}
}

// WriteTo sends to a peer, dropping (as a full link would) what is over
// the allocation's bandwidth.
func (c *relayConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.out != nil && !c.out.AllowN(time.Now(), len(b)) {
		c.s.counters.DroppedDatagrams.Add(1)
		c.s.counters.DroppedBytes.Add(uint64(len(b)))
		return len(b), nil
	}
	// Counted before the write, corrected after it: once the datagram is
	// out, the peer may answer and the answer be counted (and read) before
	// this goroutine runs again, and the counters must never show a
	// reply to a datagram they have not counted.
	c.s.counters.RelayedToPeers.Add(uint64(len(b)))
	n, err := c.PacketConn.WriteTo(b, addr)
	if n < len(b) {
		c.s.counters.RelayedToPeers.Add(^uint64(len(b) - max(n, 0) - 1)) // subtracts what was not written
	}
	return n, err
}

func (c *relayConn) Close() error {
	c.once.Do(func() { c.s.release(c.user) })
	return c.PacketConn.Close()
}
