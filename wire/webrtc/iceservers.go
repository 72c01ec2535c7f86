package webrtc

import (
	"slices"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/signaling"
)

// pcConfig is the configuration of a new PeerConnection: the configured
// ICE servers and, after them, those ICEServersFunc gives now.
func (c *Config) pcConfig() pion.Configuration {
	servers := c.ICEServers
	if c.ICEServersFunc != nil {
		if more := c.ICEServersFunc(); len(more) > 0 {
			servers = append(slices.Clip(servers), more...)
		}
	}
	return pion.Configuration{ICEServers: servers, ICETransportPolicy: c.ICETransportPolicy}
}

// SignalingICEServers returns an ICEServersFunc giving the STUN and TURN
// servers the signaling client's registration handed out
// (signaling.Client.ICEServers): URLs with the TURN credential, renewed
// with the actor's credential. An expired credential is not offered
// (the TURN server would refuse it); its STUN URLs still are.
func SignalingICEServers(sig interface{ ICEServers() signaling.ICEServers }) func() []pion.ICEServer {
	return func() []pion.ICEServer {
		s := sig.ICEServers()
		if len(s.URLs) == 0 {
			return nil
		}
		var stun, turn []string
		for _, u := range s.URLs {
			if len(u) >= 4 && u[:4] == "turn" {
				turn = append(turn, u)
			} else {
				stun = append(stun, u)
			}
		}
		var out []pion.ICEServer
		if len(stun) > 0 {
			out = append(out, pion.ICEServer{URLs: stun})
		}
		if len(turn) > 0 && s.Credential != "" && (s.ExpiresAt.IsZero() || time.Now().Before(s.ExpiresAt)) {
			out = append(out, pion.ICEServer{URLs: turn, Username: s.Username, Credential: s.Credential})
		}
		return out
	}
}

// refreshICEServers gives the PeerConnection the ICE servers of now
// before an ICE restart gathers anew (pion uses them from the next
// gathering on): a TURN credential renewed since the session began
// replaces the one that may have expired.
func (s *session) refreshICEServers() {
	if s.cfg.ICEServersFunc == nil {
		return
	}
	c := s.pc.GetConfiguration()
	c.ICEServers = s.cfg.pcConfig().ICEServers
	if err := s.pc.SetConfiguration(c); err != nil {
		s.log.Debug("updating the ICE servers for a restart", "err", err)
	}
}
