package webrtc

import (
	"net/netip"
	"strings"

	"github.com/pion/ice/v4"
	pion "github.com/pion/webrtc/v4"
)

// A peer's candidates name the addresses this node's ICE agent sends
// connectivity checks (STUN) to. Taken unchecked, they let any peer point
// the node at any address and port, as many as it likes: so each is
// screened against the networks the node is configured to use, and a
// session takes at most Config.MaxRemoteCandidates of them per ICE
// generation, whether trickled or in a session description.

// candidateVerdict is what screenCandidate decided of one candidate.
type candidateVerdict uint8

const (
	candOK         candidateVerdict = iota
	candOverCap                     // over Config.MaxRemoteCandidates
	candOffNetwork                  // on a network the node does not use
	candBadAddress                  // unspecified, multicast, broadcast, port 0, a DNS name
	candMalformed                   // unparsable or oversized
	candEnd                         // the end of candidates: names no address
)

func (v candidateVerdict) String() string {
	switch v {
	case candOK:
		return "accepted"
	case candOverCap:
		return "over the per-session cap (Config.MaxRemoteCandidates)"
	case candOffNetwork:
		return "on a network this node does not use"
	case candBadAddress:
		return "naming no reachable address"
	case candEnd:
		return "end of candidates"
	default:
		return "malformed"
	}
}

// maxCandidateLen bounds a candidate line: real ones are under 300 bytes.
const maxCandidateLen = 1024

// candidateFilter is the defaults-applied part of Config that screens
// remote candidates. It is immutable once built.
type candidateFilter struct {
	loopbackOnly bool
	networks     []netip.Prefix
	udp4, udp6   bool
	tcp4, tcp6   bool
}

func newCandidateFilter(c *Config) candidateFilter {
	f := candidateFilter{loopbackOnly: c.LoopbackOnly && c.Net == nil, networks: c.RemoteNetworks}
	types := c.NetworkTypes
	if len(types) == 0 {
		types = []pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeUDP6}
	}
	if f.loopbackOnly {
		types = []pion.NetworkType{pion.NetworkTypeUDP4} // as withDefaults gathers
	}
	for _, t := range types {
		switch t {
		case pion.NetworkTypeUDP4:
			f.udp4 = true
		case pion.NetworkTypeUDP6:
			f.udp6 = true
		case pion.NetworkTypeTCP4:
			f.tcp4 = true
		case pion.NetworkTypeTCP6:
			f.tcp6 = true
		}
	}
	return f
}

// screen judges one candidate line, with or without its "candidate:" or
// "a=candidate:" prefix. An empty line is candEnd. It does not count:
// the caller applies the cap.
func (f *candidateFilter) screen(line string) candidateVerdict {
	line = strings.TrimPrefix(strings.TrimPrefix(line, "a="), "candidate:")
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return candEnd
	}
	if len(line) > maxCandidateLen {
		return candMalformed
	}
	c, err := ice.UnmarshalCandidate(line)
	if err != nil {
		return candMalformed
	}
	if c.Port() <= 0 || c.Port() > 0xffff {
		return candBadAddress
	}
	switch c.NetworkType() {
	case ice.NetworkTypeUDP4:
		if !f.udp4 {
			return candOffNetwork
		}
	case ice.NetworkTypeUDP6:
		if !f.udp6 {
			return candOffNetwork
		}
	case ice.NetworkTypeTCP4:
		if !f.tcp4 {
			return candOffNetwork
		}
	case ice.NetworkTypeTCP6:
		if !f.tcp6 {
			return candOffNetwork
		}
	default:
		return candOffNetwork
	}
	addr, err := netip.ParseAddr(c.Address())
	if err != nil {
		// A name: only an mDNS one (a browser hiding its address) is
		// resolved without asking a DNS server the peer chose, and only
		// where the node's networks are not pinned down.
		if f.loopbackOnly || len(f.networks) > 0 {
			return candOffNetwork
		}
		if !strings.HasSuffix(strings.ToLower(c.Address()), ".local") {
			return candBadAddress
		}
		return candOK
	}
	addr = addr.Unmap().WithZone("")
	switch {
	case addr.IsUnspecified(), addr.IsMulticast(), addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return candBadAddress
	case f.loopbackOnly && !addr.IsLoopback():
		return candOffNetwork
	}
	if len(f.networks) > 0 && !f.loopbackOnly {
		for _, p := range f.networks {
			if p.Contains(addr) {
				return candOK
			}
		}
		return candOffNetwork
	}
	return candOK
}
