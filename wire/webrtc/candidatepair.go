package webrtc

import (
	"errors"
	"log/slog"
	"net"
	"strconv"

	pion "github.com/pion/webrtc/v4"
)

// ErrNoCandidatePair is returned by Conn.SelectedCandidatePair before ICE
// has selected a pair, or with no session.
var ErrNoCandidatePair = errors.New("webrtc: no candidate pair selected yet (ICE has not connected)")

// Candidate is one end of a candidate pair: its type says how the path
// was found ("host": a local address, "srflx": an address a NAT mapped,
// learnt from STUN, "prflx": one learnt from the peer's checks, "relay": a
// TURN relay), Protocol is "udp" or "tcp", and RelayProtocol, for a relay,
// how this node reaches the TURN server ("udp", "tcp", "tls").
type Candidate struct {
	Type          string
	Protocol      string
	Address       string
	Port          uint16
	RelayProtocol string
}

// CandidatePair is the pair ICE selected: the path the session's packets
// take.
type CandidatePair struct {
	Local, Remote Candidate
}

// Relayed says whether either end is a TURN relay.
func (p CandidatePair) Relayed() bool { return p.Local.Type == "relay" || p.Remote.Type == "relay" }

// SelectedCandidatePair returns the pair the current session's ICE agent
// selected.
func (c *Conn) SelectedCandidatePair() (CandidatePair, error) {
	s := c.session()
	if s == nil {
		return CandidatePair{}, ErrNoCandidatePair
	}
	return s.selectedPair()
}

// logPath logs the path ICE chose, once connected: how operators see
// whether a peer is reached directly or through TURN.
func (s *session) logPath() {
	if !s.log.Enabled(s.ctx, slog.LevelInfo) {
		return
	}
	p, err := s.selectedPair()
	if err != nil {
		return
	}
	s.log.Info("WebRTC connected", "local", p.Local.String(), "remote", p.Remote.String(), "relayed", p.Relayed())
}

// String is "type protocol address:port", with " via <relay protocol>"
// for a local relay.
func (c Candidate) String() string {
	s := c.Type + " " + c.Protocol + " " + net.JoinHostPort(c.Address, strconv.Itoa(int(c.Port)))
	if c.RelayProtocol != "" {
		s += " via " + c.RelayProtocol
	}
	return s
}

func (s *session) selectedPair() (CandidatePair, error) {
	sctp := s.pc.SCTP()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return CandidatePair{}, ErrNoCandidatePair
	}
	p, err := sctp.Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || p == nil || p.Local == nil || p.Remote == nil {
		return CandidatePair{}, ErrNoCandidatePair
	}
	pair := CandidatePair{Local: candidateOf(p.Local), Remote: candidateOf(p.Remote)}
	if p.Local.Typ == pion.ICECandidateTypeRelay {
		// How this node reaches its TURN server is in the stats only.
		for _, st := range s.pc.GetStats() {
			if cs, ok := st.(pion.ICECandidateStats); ok && cs.Type == pion.StatsTypeLocalCandidate &&
				cs.CandidateType == pion.ICECandidateTypeRelay && cs.IP == p.Local.Address && cs.Port == int32(p.Local.Port) {
				pair.Local.RelayProtocol = cs.RelayProtocol
				break
			}
		}
	}
	return pair, nil
}

func candidateOf(c *pion.ICECandidate) Candidate {
	return Candidate{Type: c.Typ.String(), Protocol: c.Protocol.String(), Address: c.Address, Port: c.Port}
}
