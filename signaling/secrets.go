package signaling

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"

	"github.com/actr-go/actr/protocol"
)

// registrationAllowed charges a registration to the remote address a
// (over a socket or HTTP) and checks secret against the realm's policy,
// slowing down an address that keeps presenting wrong secrets.
func (s *Server) registrationAllowed(a *addrState, presented admission, realm uint32, now time.Time) *protocol.ErrorResponse {
	lim := &s.cfg.Limits
	pol := s.policy(realm)
	if a == nil { // sessions driven without a connection, in tests
		a = &addrState{reg: newBucket(lim.RegisterBurst, now)}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.reg.take(now, lim.RegisterRate, lim.RegisterBurst) {
		s.counters.RateLimited.Add(1)
		s.counters.refuse(RefusedRegisterRate)
		return errorResponse(CodeRateLimited, "too many registrations from your address: retry later")
	}
	if pol.Open {
		return nil
	}
	if d := a.lock.locked(now); d > 0 {
		s.counters.refuse(RefusedSecretLockout)
		return errf(CodeRateLimited, "too many wrong realm secrets from your address: retry in %s", d.Round(time.Millisecond))
	}
	if presented.joinToken != "" && presented.secret == "" {
		if err := checkJoinToken(presented.joinToken, pol.Secret, realm, now, s.cfg.MaxJoinTokenTTL); err != nil {
			a.lock.fail(now, lim)
			s.counters.Unauthorized.Add(1)
			s.counters.refuse(RefusedJoinToken)
			if pol.Secret == "" {
				return errf(CodeForbidden, "realm %d admits no join token on this server (it has no realm secret)", realm)
			}
			return errf(CodeForbidden, "realm %d: %v", realm, err)
		}
		return nil
	}
	secret := presented.secret
	if !secretOK(pol.Secret, secret) {
		a.lock.fail(now, lim)
		s.counters.Unauthorized.Add(1)
		s.counters.refuse(RefusedSecret)
		switch {
		case pol.Secret == "":
			return errf(CodeForbidden, "realm %d admits no registration on this server (it is neither open nor has a secret): register in a realm the server admits, or have its operator configure realm %d", realm, realm)
		case secret == "":
			return errf(CodeForbidden, "realm %d requires its realm secret and none was presented", realm)
		}
		return errf(CodeForbidden, "the realm secret presented is not realm %d's", realm)
	}
	return nil
}

// secretOK compares in constant time, also in the secrets' lengths (both
// are hashed first).
func secretOK(want, got string) bool {
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return want != "" && subtle.ConstantTimeCompare(w[:], g[:]) == 1
}
