package signaling

import (
	"slices"
	"time"

	"github.com/actr-go/actr/protocol"
)

// ICEServers are the STUN and TURN servers the signaling server named in
// the actor's last RegisterOk (ice_urls, an actr-go extension), with the
// TURN credential it handed out (actr's turn_credential). A node gives
// them to its WebRTC PeerConnections, so it needs no ICE configuration
// of its own; they change when the credential is renewed.
type ICEServers struct {
	URLs       []string
	Username   string
	Credential string
	ExpiresAt  time.Time
}

// ICEServers returns the servers of the current registration; no URLs
// when the signaling server named none.
func (c *Client) ICEServers() ICEServers {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.ice
	s.URLs = slices.Clone(s.URLs)
	return s
}

// iceServersOf takes the servers of ok, dropping URLs that are not STUN
// or TURN ones, beyond the eighth.
func iceServersOf(ok *protocol.RegisterOk) ICEServers {
	var s ICEServers
	for _, u := range ok.GetIceUrls() {
		if len(s.URLs) < maxICEURLs && CheckICEURL(u) == nil {
			s.URLs = append(s.URLs, u)
		}
	}
	if len(s.URLs) == 0 {
		return ICEServers{}
	}
	tc := ok.GetTurnCredential()
	s.Username, s.Credential = tc.GetUsername(), tc.GetPassword()
	if e := tc.GetExpiresAt(); e > 0 && e < 1<<62 {
		s.ExpiresAt = time.Unix(int64(e), 0)
	}
	return s
}
