package turnserver

import (
	"errors"
	"net"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"

	"github.com/actr-go/actr/auth"
)

// authenticate is pion's AuthHandler: it checks the user name (TURN REST,
// unexpired, a relayed realm) and, for a refresh, the allocation's age,
// and returns the long-term key the message integrity must verify with,
// which only a password minted with the shared secret gives. A forged
// password is found by pion after this returns (onAuth counts it).
func (s *Server) authenticate(ra *turn.RequestAttributes) (string, []byte, bool) {
	id, _, err := auth.CheckTURNUsername(ra.Username, time.Now())
	if err != nil {
		if errors.Is(err, auth.ErrTURNExpired) {
			s.counters.RefusedExpired.Add(1)
		} else {
			s.counters.RefusedMalformed.Add(1)
		}
		s.cfg.Logger.Debug("turn: credential refused", "from", addrString(ra.SrcAddr), "err", err)
		return "", nil, false
	}
	if ra.Realm != s.cfg.Realm {
		s.counters.RefusedMalformed.Add(1)
		s.cfg.Logger.Debug("turn: wrong TURN realm", "from", addrString(ra.SrcAddr), "realm", ra.Realm)
		return "", nil, false
	}
	if !s.realmOK(id.Realm) {
		s.counters.RefusedRealm.Add(1)
		s.cfg.Logger.Debug("turn: realm not relayed", "from", addrString(ra.SrcAddr), "actor", id.ActrString(), "err", auth.ErrTURNRealm)
		return "", nil, false
	}
	if ra.Method == stun.MethodRefresh && s.tooOld(ra.SrcAddr) {
		s.counters.RefusedAge.Add(1)
		s.cfg.Logger.Debug("turn: refresh refused, allocation past its maximum age", "from", addrString(ra.SrcAddr))
		return "", nil, false
	}
	key := turn.GenerateAuthKey(ra.Username, ra.Realm, auth.TURNPassword(s.cfg.Secret, ra.Username))
	return id.ActrString(), key, true
}

// onAuth counts the requests whose message integrity did not verify with
// the key authenticate gave: a password not minted with the secret.
func (s *Server) onAuth(src, _ net.Addr, _, username, _, method string, verdict bool) {
	if !verdict {
		s.counters.RefusedForged.Add(1)
		s.cfg.Logger.Debug("turn: forged credential", "from", addrString(src), "user", username, "method", method)
	}
}

// tooOld says whether the allocation of client is past MaxAllocationAge.
func (s *Server) tooOld(client net.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	born, ok := s.born[addrKey(client)]
	return ok && time.Since(born) > s.cfg.MaxAllocationAge
}

func addrKey(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.Network() + "/" + a.String()
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
