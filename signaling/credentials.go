package signaling

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// Defaults of the credential limits of ServerConfig.
const (
	DefaultRenewalTokenTTL  = 24 * time.Hour
	DefaultMaxRenewalTokens = 100_000
	DefaultMaxRevoked       = 65_536
	renewalTokenSize        = 32
)

// renewal is what the server keeps of an actor's renewal token: its hash,
// never the token, and the holder key new credentials are bound to.
// Guarded by Server.mu.
type renewal struct {
	hash    [sha256.Size]byte
	expires time.Time
	holder  ed25519.PublicKey // nil: bearer credentials
}

// issueLocked signs a credential for id, bound to holder when it is a key,
// and rotates id's renewal token. The caller holds s.mu.
func (s *Server) issueLocked(id protocol.ActorID, holder ed25519.PublicKey, now time.Time) (*protocol.RegisterOk, error) {
	var (
		cred   *protocol.AIdCredential
		claims auth.Claims
		err    error
	)
	if holder != nil {
		cred, claims, err = s.cfg.Issuer.IssueBoundAt(id, holder, now, s.cfg.CredentialTTL)
	} else {
		cred, claims, err = s.cfg.Issuer.IssueAt(id, now, s.cfg.CredentialTTL)
	}
	if err != nil {
		return nil, err
	}
	token := make([]byte, renewalTokenSize)
	if _, err := rand.Read(token); err != nil {
		return nil, err
	}
	if _, ok := s.renewals[id]; !ok && len(s.renewals) >= s.cfg.MaxRenewalTokens {
		s.sweepCredentialsLocked(now)
		if len(s.renewals) >= s.cfg.MaxRenewalTokens {
			s.evictRenewalLocked()
		}
	}
	r := &renewal{hash: sha256.Sum256(token), expires: now.Add(s.cfg.RenewalTokenTTL), holder: holder}
	s.renewals[id] = r
	if e := s.actors[id]; e != nil && claims.ExpiresAt.After(e.credExp) {
		e.credExp = claims.ExpiresAt
	}
	return &protocol.RegisterOk{
		ActrId:                         id.Proto(),
		Credential:                     cred,
		CredentialExpiresAt:            timestamppb.New(claims.ExpiresAt),
		SignalingHeartbeatIntervalSecs: proto.Uint32(uint32(max(1, s.cfg.HeartbeatInterval/time.Second))),
		SigningPubkey:                  s.cfg.Issuer.PublicKey(),
		SigningKeyId:                   proto.Uint32(s.cfg.Issuer.KeyID()),
		// actr requires a TURN credential; with no TURN secret configured
		// it is one that no server will accept (an empty password).
		TurnCredential:        auth.NewTURNCredential(s.cfg.TURN.Secret, id, claims.ExpiresAt),
		IceUrls:               s.cfg.TURN.URLs,
		RenewalToken:          token,
		RenewalTokenExpiresAt: timestamppb.New(r.expires),
		ProofAudience:         proto.String(s.cfg.Name),
	}, nil
}

// evictRenewalLocked drops the renewal token that expires soonest, to make
// room (counted): its actor re-registers when its credential runs out.
func (s *Server) evictRenewalLocked() {
	var victim protocol.ActorID
	var first time.Time
	for id, r := range s.renewals {
		if first.IsZero() || r.expires.Before(first) {
			victim, first = id, r.expires
		}
	}
	delete(s.renewals, victim)
	s.counters.RenewalTokensEvicted.Add(1)
}

// renew checks id's renewal token and answers with a fresh credential
// (bound to the key the actor registered with) and a new renewal token;
// the old token no longer works. It is the whole of renewal, whatever
// carries the request (ActrToSignaling.credential_renewal here; actr's
// RenewCredentialRequest over HTTP): the token is the proof, so it needs
// no credential, and it refuses an unregistered (revoked) actor. Every
// refusal is counted (RenewalRefused, RevokedRefused) and is a 401.
func (s *Server) renew(id protocol.ActorID, token []byte) (*protocol.RegisterOk, *protocol.ErrorResponse) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revokedLocked(id, now) {
		s.counters.RevokedRefused.Add(1)
		return nil, errf(CodeUnauthorized, "%s has unregistered: register anew", id)
	}
	r := s.renewals[id]
	sum := sha256.Sum256(token)
	if r == nil || len(token) != renewalTokenSize || !now.Before(r.expires) || subtle.ConstantTimeCompare(sum[:], r.hash[:]) != 1 {
		s.counters.RenewalRefused.Add(1)
		return nil, errf(CodeUnauthorized, "renewal refused for %s: present the renewal_token of its last RegisterOk, before it expires (or register anew)", id)
	}
	ok, err := s.issueLocked(id, r.holder, now)
	if err != nil {
		return nil, errf(CodeBadRequest, "cannot issue a credential: %v", err)
	}
	s.counters.Renewals.Add(1)
	return ok, nil
}

// renewFailedOver renews, in a cluster, the credential of an actor that
// failed over to this server from another: the renewal token it holds
// was issued there and is unknown here. The actor has proved possession
// of its holder key on this connection with a valid credential, which is
// what the token stands for; a bearer credential, or an actor this
// server holds a token for, is not renewed this way. nil: not renewed.
func (s *Server) renewFailedOver(id protocol.ActorID, e *actorEntry) *protocol.RegisterOk {
	if s.cluster == nil || e == nil {
		return nil
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.holder == nil || s.renewals[id] != nil || s.revokedLocked(id, now) || !now.Before(e.credExp) {
		return nil
	}
	ok, err := s.issueLocked(id, e.holder, now)
	if err != nil {
		return nil
	}
	s.counters.Renewals.Add(1)
	s.counters.ClusterRenewals.Add(1)
	return ok
}

// revokeLocked refuses, from now on, every credential issued to id and its
// renewal token: id has unregistered. Serial numbers are not reused, so
// revoking the actor revokes exactly its credentials; the entry is kept
// until the last of them expires (until), in a set bounded by MaxRevoked.
func (s *Server) revokeLocked(id protocol.ActorID, until time.Time, now time.Time) {
	delete(s.renewals, id)
	if _, ok := s.revoked[id]; !ok && len(s.revoked) >= s.cfg.MaxRevoked {
		s.sweepCredentialsLocked(now)
		if len(s.revoked) >= s.cfg.MaxRevoked {
			// Full of credentials still valid: forget the one expiring
			// soonest (counted; it could resume until then).
			var victim protocol.ActorID
			var first time.Time
			for v, exp := range s.revoked {
				if first.IsZero() || exp.Before(first) {
					victim, first = v, exp
				}
			}
			delete(s.revoked, victim)
			s.counters.RevokedEvicted.Add(1)
		}
	}
	if until.After(s.revoked[id]) {
		s.revoked[id] = until
	}
}

func (s *Server) revokedLocked(id protocol.ActorID, now time.Time) bool {
	until, ok := s.revoked[id]
	return ok && now.Before(until)
}

// sweepCredentialsLocked forgets expired renewal tokens and revocations.
func (s *Server) sweepCredentialsLocked(now time.Time) {
	for id, r := range s.renewals {
		if !now.Before(r.expires) {
			delete(s.renewals, id)
		}
	}
	for id, until := range s.revoked {
		if !now.Before(until) {
			delete(s.revoked, id)
		}
	}
}

// checkPresented decides whether a connection that has not registered may
// speak for the actor of cred (a resume): the credential must verify for
// id, not be revoked, and either be holder-bound and come with a proof
// made for this server, or be a bearer credential on a server that allows
// them (AllowBearer). Every refusal is counted.
func (s *Server) checkPresented(id protocol.ActorID, cred *protocol.AIdCredential, proof *protocol.ProofOfPossession) (auth.Claims, *protocol.ErrorResponse) {
	now := time.Now()
	claims, err := s.cfg.Verifier.VerifyForAt(cred, id, now)
	if err != nil {
		s.counters.Unauthorized.Add(1)
		return claims, errf(CodeUnauthorized, "credential refused: %v", err)
	}
	s.mu.Lock()
	revoked := s.revokedLocked(id, now)
	s.mu.Unlock()
	if revoked {
		s.counters.Unauthorized.Add(1)
		s.counters.RevokedRefused.Add(1)
		return claims, errf(CodeUnauthorized, "%s has unregistered: its credentials are revoked; register anew", id)
	}
	if !claims.Bound() {
		if s.cfg.AllowBearer {
			return claims, nil
		}
		s.counters.Unauthorized.Add(1)
		s.counters.BearerRefused.Add(1)
		return claims, errf(CodeUnauthorized, "%v: this server accepts only holder-bound credentials with a proof of possession (an operator can allow bearer credentials: actr signal --allow-bearer)", auth.ErrBearer)
	}
	if err := s.proofs.Check(proof, cred, claims, now); err != nil {
		s.counters.Unauthorized.Add(1)
		switch {
		case errors.Is(err, auth.ErrReplayedProof):
			s.counters.ProofReplayed.Add(1)
		case errors.Is(err, auth.ErrReplayCacheFull):
			s.counters.ProofCacheFull.Add(1)
		default:
			s.counters.ProofRefused.Add(1)
		}
		return claims, errf(CodeUnauthorized, "proof of possession refused: %v", err)
	}
	return claims, nil
}
