package signaling

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// Bounds on the server's waits for its Cluster: every one is on the
// network, so every one has a deadline.
const (
	clusterJoinTimeout  = 15 * time.Second
	clusterOpTimeout    = 2 * time.Second
	clusterRelayTimeout = 2 * time.Second
	// maxClusterRelayID bounds the id of a relay from another server: it
	// is remembered for deduplication, so a hostile peer must not choose
	// its size.
	maxClusterRelayID = 128
)

// joinCluster joins ServerConfig.Cluster, when set, with the server's
// signing key.
func (s *Server) joinCluster() error {
	c := s.cfg.Cluster
	if c == nil {
		return nil
	}
	s.dedup = newRelayDedup(defaultDedupSize)
	ctx, cancel := context.WithTimeout(s.ctx, clusterJoinTimeout)
	defer cancel()
	key := ClusterKey{KeyID: s.cfg.Issuer.KeyID(), Public: s.cfg.Issuer.PublicKey()}
	if err := c.Join(ctx, key, clusterHandler{s}); err != nil {
		return fmt.Errorf("signaling: joining the cluster: %w", err)
	}
	s.cluster = c
	return nil
}

// clusterSerial reserves a serial from the cluster; 0 (and no refusal)
// when the server is alone and allocates its own. A server cut from its
// backplane refuses: two halves of a realm each registering actors would
// each think it has the whole directory.
func (s *Server) clusterSerial() (uint64, *protocol.ErrorResponse) {
	if s.cluster == nil {
		return 0, nil
	}
	refuse := func(err error) (uint64, *protocol.ErrorResponse) {
		s.counters.ClusterRefused.Add(1)
		s.counters.refuse(RefusedCluster)
		s.log.Warn("registration refused: cluster unavailable", "err", err)
		return 0, errorResponse(CodeUnavailable, "this signaling server has lost its cluster and admits no new actors; retry on another server")
	}
	if !s.cluster.Healthy() {
		return refuse(ErrClusterUnavailable)
	}
	ctx, cancel := context.WithTimeout(s.ctx, clusterOpTimeout)
	defer cancel()
	n, err := s.cluster.NextSerial(ctx)
	if err != nil {
		return refuse(err)
	}
	return n, nil
}

// remoteActor finds dst on another server of the cluster.
func (s *Server) remoteActor(dst protocol.ActorID) (ClusterActor, bool) {
	if s.cluster == nil {
		return ClusterActor{}, false
	}
	return s.cluster.Lookup(dst)
}

// relayRemote forwards r from src to dst, online on another server, and
// gives the sender that server's answer. A role negotiation is decided
// here by the same rule as locally (offers): the target's server only
// delivers the assignment.
func (ss *session) relayRemote(envID string, src protocol.ActorID, dst ClusterActor, r *protocol.ActrRelay) *protocol.ErrorResponse {
	s := ss.srv
	payload := r.Payload
	_, negotiation := payload.(*protocol.ActrRelay_RoleNegotiation)
	srcOffers := false
	if negotiation {
		srcOffers = offers(src, dst.ID, ss.answerOnly, dst.AnswerOnly)
		payload = &protocol.ActrRelay_RoleAssignment{RoleAssignment: &protocol.RoleAssignment{IsOfferer: proto.Bool(!srcOffers)}}
	}
	id := envID
	if id == "" || len(id) > maxClusterRelayID {
		id = s.instance + "/" + s.nextID()
	}
	ctx, cancel := context.WithTimeout(s.ctx, clusterRelayTimeout)
	defer cancel()
	ans, err := s.cluster.Relay(ctx, dst.Server, ClusterRelay{ID: id, Source: src, Target: dst.ID,
		Relay: &protocol.ActrRelay{Source: src.Proto(), Target: dst.ID.Proto(), Payload: payload}})
	if err != nil {
		s.counters.ClusterRelaysRefused.Add(1)
		s.counters.RelayRefused.Add(1)
		return errf(CodeUnavailable, "%s is on another signaling server, which did not answer (%v); retry", dst.ID, err)
	}
	s.counters.ClusterRelaysSent.Add(1)
	if ans != nil {
		s.counters.RelayRefused.Add(1)
		return ans
	}
	if negotiation {
		ss.send(roleAssignment(s.nextID(), envID, dst.ID, src, srcOffers))
		s.counters.RoleAssignments.Add(1)
	} else {
		s.counters.Relayed.Add(1)
	}
	return nil
}

// clusterHandler serves a Server's Cluster; unexported methods of its own
// so that Server's API does not grow them.
type clusterHandler struct{ s *Server }

// DeliverRelay implements ClusterHandler: the local half of relay, for a
// relay another server checked the source of.
func (h clusterHandler) DeliverRelay(r ClusterRelay) *protocol.ErrorResponse {
	s := h.s
	if r.Relay == nil || r.Relay.Payload == nil || r.ID == "" || len(r.ID) > maxClusterRelayID {
		s.counters.Malformed.Add(1)
		return errorResponse(CodeBadRequest, "cluster relay without a payload or a valid id")
	}
	if r.Source.Realm != r.Target.Realm {
		s.counters.RelayRefused.Add(1)
		return errf(CodeForbidden, "relay is confined to one realm")
	}
	if _, ok := r.Relay.Payload.(*protocol.ActrRelay_RoleNegotiation); ok {
		// Negotiations are decided by the source's server; one reaching
		// us would be answered by nobody.
		s.counters.Malformed.Add(1)
		return errorResponse(CodeBadRequest, "cluster relay carries an undecided role negotiation")
	}
	s.mu.Lock()
	var tsess *session
	if t := s.actors[r.Target]; t != nil {
		tsess = t.sess
	}
	s.mu.Unlock()
	if tsess == nil {
		s.counters.RelayRefused.Add(1)
		return errf(CodeNotFound, "%s is not online", r.Target)
	}
	key := dedupKey{source: r.Source, id: r.ID}
	if !s.dedup.claim(key) {
		s.counters.ClusterDedupDrops.Add(1)
		return nil // delivered before: the sender's retry gets the same answer
	}
	fwd := &protocol.SignalingEnvelope{
		EnvelopeId: proto.String(s.nextID()),
		Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: &protocol.ActrRelay{
			Source: r.Source.Proto(), Target: r.Target.Proto(), Payload: r.Relay.Payload}},
	}
	if _, room := tsess.out.relayRoom(); proto.Size(fwd) > room {
		s.dedup.release(key)
		s.counters.RelayRefused.Add(1)
		s.counters.refuse(RefusedSendBudget)
		return errf(CodeTooLarge, "relay too large: at most %d bytes can be queued for %s", room, r.Target)
	}
	if !tsess.enqueue(fwd, true) {
		s.dedup.release(key)
		return s.targetBehind(r.Target)
	}
	s.counters.ClusterRelaysReceived.Add(1)
	if _, ok := r.Relay.Payload.(*protocol.ActrRelay_RoleAssignment); ok {
		s.counters.RoleAssignments.Add(1)
	} else {
		s.counters.Relayed.Add(1)
	}
	return nil
}

// Presence implements ClusterHandler.
func (h clusterHandler) Presence(id protocol.ActorID, up bool) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if e := h.s.actors[id]; e != nil && e.sess != nil {
		return // it is ours now (it moved here): our own events told them
	}
	h.s.presenceLocked(id, up)
}

// KeyAdded implements ClusterHandler.
func (h clusterHandler) KeyAdded(keyID uint32, pub ed25519.PublicKey) {
	if err := h.s.cfg.Verifier.AddKey(keyID, pub); err != nil {
		h.s.log.Warn("cluster key refused", "key_id", keyID, "err", err)
	}
}

// randomInstance names one run of a server: 12 hex digits.
func randomInstance() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
