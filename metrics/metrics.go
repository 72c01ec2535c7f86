package metrics

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

// Sources are the parts of a node whose counters are exported. Only
// those set are; a signaling server alone (Manager nil) is fine.
type Sources struct {
	Manager *transport.OutprocManager
	// WebSocket counters by role: "dialer" and "gate" for a node's
	// websocket.Dialer and websocket.Gate.
	WebSocket map[string]*websocket.Counters
	WebRTC    *webrtc.Coordinator
	Signaling *signaling.Server
}

// Metrics is a registered collector for a node; Close unregisters it and
// stops its event watcher.
type Metrics struct {
	src Sources
	reg prometheus.Registerer

	connectFailures [wireKinds]atomic.Uint64 // by WireKind
	reconnects      atomic.Uint64
	missedEvents    atomic.Uint64

	sub  *transport.Subscription
	done chan struct{}
	once sync.Once
}

const wireKinds = 3 // WireKind values are 1 and 2

// New registers the metrics of src with reg.
func New(reg prometheus.Registerer, src Sources) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: New needs a prometheus.Registerer")
	}
	m := &Metrics{src: src, reg: reg, done: make(chan struct{})}
	if err := reg.Register(m); err != nil {
		return nil, err
	}
	if src.Manager != nil {
		m.sub = src.Manager.Subscribe(1024)
		go m.watch()
	} else {
		close(m.done)
	}
	return m, nil
}

// Close unregisters the metrics and stops the event watcher.
func (m *Metrics) Close() {
	m.once.Do(func() {
		m.reg.Unregister(m)
		if m.sub != nil {
			m.sub.Close()
		}
		<-m.done
	})
}

// watch counts what only events tell.
func (m *Metrics) watch() {
	defer close(m.done)
	for ev := range m.sub.Events() {
		m.missedEvents.Add(ev.Missed)
		switch ev.Kind {
		case transport.EventConnectAttemptFailed:
			if int(ev.WireKind) < wireKinds {
				m.connectFailures[ev.WireKind].Add(1)
			}
		case transport.EventReconnectStarted:
			m.reconnects.Add(1)
		}
	}
}

var (
	wireStates = []transport.WireState{transport.WireConnecting, transport.WireReady, transport.WireFailed, transport.WireClosed}
	kinds      = []transport.WireKind{transport.WireWebRTC, transport.WireWebSocket}
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("actr_"+name, help, labels, nil)
}

var (
	dDests           = desc("dests", "Destinations with a transport.")
	dWires           = desc("wires", "Wires by kind and state.", "kind", "state")
	dDials           = desc("dials_total", "Destination dials started.")
	dDialFailures    = desc("dial_failures_total", "Destination dials whose builder failed.")
	dConnectFailures = desc("wire_connect_failures_total", "Wire connect attempts that failed, by wire kind.", "kind")
	dRemoved         = desc("transports_removed_total", "Transports removed: closed, dead or health-checked.")
	dHealthRemoved   = desc("health_removals_total", "Transports the health checker removed.")
	dReconnects      = desc("reconnects_total", "Re-dials of failed wires started by the health checker.")
	dSent            = desc("sent_messages_total", "Messages handed to a lane, by payload type and wire kind (needs transport.WithSendStats).", "payload_type", "kind")
	dSentBytes       = desc("sent_bytes_total", "Payload bytes handed to a lane, by payload type and wire kind (needs transport.WithSendStats).", "payload_type", "kind")
	dSendErrors      = desc("send_errors_total", "Sends that returned an error, by payload type.", "payload_type")
	dInbound         = desc("inbound_messages_total", "Inbound messages: delivered to the handler, dropped (lossy queue full) or rejected.", "outcome")
	dInboundWaits    = desc("inbound_throttled_total", "Inbound deliveries that waited for room in their peer's queue or byte budget, or the manager's.")
	dInboundBytes    = desc("inbound_bytes_held", "Payload bytes queued for the inbound handler, all peers.")
	dInboundPeers    = desc("inbound_peers", "Peers with inbound messages queued or being handled.")
	dInboundWorkers  = desc("inbound_workers", "Inbound handler goroutines started.")
	dUnflushed       = desc("close_unflushed_wires_total", "Wires closed with data Send had accepted still unsent: the close's grace or ctx ended first.")
	dMissed          = desc("metrics_missed_events_total", "Events the metrics watcher missed (its buffer was full).")

	dWSFrames    = desc("websocket_frames_total", "WebSocket data frames, by role and direction.", "role", "direction")
	dWSBytes     = desc("websocket_bytes_total", "WebSocket payload bytes, by role and direction.", "role", "direction")
	dWSBad       = desc("websocket_bad_frames_total", "Malformed frames refused, by role and reason.", "role", "reason")
	dWSDials     = desc("websocket_dials_total", "WebSocket dials, by role and outcome.", "role", "outcome")
	dWSAccepted  = desc("websocket_accepted_total", "Connections a gate accepted.", "role")
	dWSRejected  = desc("websocket_rejected_total", "Connections a gate refused, by reason.", "role", "reason")
	dWSPingFails = desc("websocket_ping_failures_total", "Peers declared dead by the keepalive.", "role")
	dWSStalled   = desc("websocket_stalled_writes_total", "Connections closed because a Send's deadline passed while its frame was stuck on a peer that stopped reading.", "role")
	dWSPings     = desc("websocket_pings_total", "Keepalive pings answered.", "role")
	dWSUnsent    = desc("websocket_unsent_at_death_total", "Small frames Sends had taken, still pending when their connection died.", "role")
	dWSOpen      = desc("websocket_open_connections", "A gate's TCP connections open, from accept (half-open and handshaking included) to close.", "role")
	dWSBuffered  = desc("websocket_buffered_bytes", "Bytes a gate's connections hold in frames being read, against its MaxBufferedBytes budget.", "role")
	dWSDropped   = desc("websocket_accept_dropped_total", "Connections over a gate's limits closed at accept unanswered (too many refusals being answered already); also in websocket_rejected_total.", "role")
	dWSAuth      = desc("websocket_auth_refusals_total", "Of websocket_rejected_total{reason=\"auth\"}, by kind: proof (a holder-bound credential without a valid proof of possession for this gate), replay (a proof used before), proof_cache_full (MaxProofs proofs in their window remembered), bearer (a bearer credential without AllowBearer).", "role", "reason")
	dWSDisc      = desc("websocket_disconnects_total", "Connections closed for a peer's fault, by reason: stalled (took nothing for StallTimeout), write_deadline (a Send's deadline passed mid-write), keepalive (no pong), budget (no room in the gate's buffer budget).", "role", "reason")

	dRTCSessions = desc("webrtc_sessions", "Open WebRTC PeerConnections.")
	dRTCCreated  = desc("webrtc_sessions_created_total", "PeerConnections created, by direction.", "direction")
	dRTCRestarts = desc("webrtc_ice_restarts_total", "ICE restarts, by outcome (started, completed; requested: ice_restart_requests this node sent its offerers as answerer).", "outcome")
	dRTCMsgs     = desc("webrtc_messages_total", "WebRTC data messages, by direction.", "direction")
	dRTCBytes    = desc("webrtc_bytes_total", "WebRTC payload bytes, by direction.", "direction")
	dRTCBad      = desc("webrtc_bad_input_total", "Refused WebRTC input, by kind.", "kind")
	// What hostile peers are refused (Config's limits).
	dRTCStalls        = desc("webrtc_stalls_total", "WebRTC wires failed because the peer stopped reading (StallTimeout).")
	dRTCSetups        = desc("webrtc_inbound_setups", "WebRTC sessions peers started that are being set up (against MaxInboundSetups).")
	dRTCSetupsRefused = desc("webrtc_setups_refused_total", "Role negotiations and offers refused, by reason: cap (MaxInboundSetups), per_peer.", "reason")
	dRTCSetupTimeouts = desc("webrtc_setup_timeouts_total", "Inbound WebRTC sessions closed because not ready within InboundSetupTimeout.")
	dRTCRefusedByPeer = desc("webrtc_refused_by_peer_total", "This node's WebRTC attempts the peer refused (its setup cap was full).")
	dRTCSetupsEvicted = desc("webrtc_setups_evicted_total", "Inbound WebRTC sessions being set up, closed to give their place to a newer peer when MaxInboundSetups were taken.")
	dRTCCandidates    = desc("webrtc_remote_candidates_total", "Relayed remote ICE candidates, by outcome: accepted, over_cap, off_network, bad_address, malformed.", "outcome")
	dRTCReasmBytes    = desc("webrtc_reassembly_bytes", "Bytes held by fragmented messages being reassembled (against ReassemblyBytes).")
	dRTCReasmRefused  = desc("webrtc_reassembly_refused_total", "Fragmented messages dropped over the per-peer or per-process reassembly budget.")

	dSigConns   = desc("signaling_connections_total", "Signaling connections accepted.")
	dSigActors  = desc("signaling_registrations_total", "Actor registrations, by kind.", "kind")
	dSigRelays  = desc("signaling_relays_total", "Relayed messages, by outcome.", "outcome")
	dSigRejects = desc("signaling_rejections_total", "Envelopes refused, by reason.", "reason")
	dSigOpen    = desc("signaling_open_connections", "Signaling connections open now (TCP connections when the server owns the listener).")
	dSigRefused = desc("signaling_refusals_total", "Connections and requests refused by a limit, by reason.", "reason")
	dSigClosed  = desc("signaling_disconnections_total", "Signaling connections ended, by reason.", "reason")
	dSigCreds   = desc("signaling_credential_refusals_total", "Credentials and renewals refused, by reason: proof (a holder-bound credential without a valid proof of possession for this server), replay (a proof used before), proof_cache_full, bearer (a bearer credential without AllowBearer), revoked (an actor that unregistered), renewal (a missing, wrong or expired renewal token).", "reason")
	dSigRenew   = desc("signaling_renewals_total", "Credentials renewed with a renewal token.")
	dSigEvicted = desc("signaling_credential_evictions_total", "Entries dropped from a full credential table, by table: renewal_tokens (MaxRenewalTokens), revoked (MaxRevoked).", "table")
	dSigQueued  = desc("signaling_outbound_queued_bytes", "Bytes held in the signaling server's outbound queues, including envelopes being written.")

	// The cluster of signaling servers (ServerConfig.Cluster).
	dClusterServers = desc("signaling_cluster_servers", "Signaling servers of the cluster heard alive lately, this one included.")
	dClusterHealthy = desc("signaling_cluster_healthy", "1 while the cluster's backplane is reachable; 0 when the server is cut from it and refuses new actors.")
	dClusterActors  = desc("signaling_cluster_actors", "Actors online, by the server holding their connection, as this server sees the cluster.", "server")
	dClusterRelays  = desc("signaling_cluster_relays_total", "Relays between servers, by outcome: sent (to the server holding the target), received (from another server, delivered here), unanswered (the other server did not answer), duplicate (delivered before, dropped).", "outcome")
	dClusterEvents  = desc("signaling_cluster_events_total", "Cluster events, by kind: registration_refused (cut from the backplane), failover (an actor resumed here from another server), failover_renewal (its credential renewed here without its renewal token).", "kind")
)

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dDests, dWires, dDials, dDialFailures, dConnectFailures, dRemoved, dHealthRemoved,
		dReconnects, dSent, dSentBytes, dSendErrors, dInbound, dMissed,
		dInboundWaits, dInboundBytes, dInboundPeers, dInboundWorkers, dUnflushed,
		dWSFrames, dWSBytes, dWSBad, dWSDials, dWSAccepted, dWSRejected, dWSPingFails, dWSStalled, dWSPings, dWSUnsent,
		dWSOpen, dWSBuffered, dWSDropped, dWSDisc, dWSAuth,
		dRTCSessions, dRTCCreated, dRTCRestarts, dRTCMsgs, dRTCBytes, dRTCBad,
		dSigConns, dSigActors, dSigRelays, dSigRejects, dSigOpen, dSigRefused, dSigClosed, dSigQueued, dSigCreds, dSigRenew, dSigEvicted,
		dClusterServers, dClusterHealthy, dClusterActors, dClusterRelays, dClusterEvents} {
		ch <- d
	}
	for _, d := range []*prometheus.Desc{dRTCStalls, dRTCSetups, dRTCSetupsRefused, dRTCSetupTimeouts, dRTCSetupsEvicted, dRTCRefusedByPeer,
		dRTCCandidates, dRTCReasmBytes, dRTCReasmRefused} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	if m.src.Manager != nil {
		m.collectManager(ch)
	}
	for role, c := range m.src.WebSocket {
		collectWebSocket(ch, role, c)
	}
	if m.src.WebRTC != nil {
		collectWebRTC(ch, m.src.WebRTC)
	}
	if m.src.Signaling != nil {
		collectSignaling(ch, m.src.Signaling.Counters())
		collectCluster(ch, m.src.Signaling)
	}
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func (m *Metrics) collectManager(ch chan<- prometheus.Metric) {
	mgr := m.src.Manager
	st := mgr.Stats()
	gauge(ch, dDests, float64(st.Dests))
	counter(ch, dDials, st.Dials)
	counter(ch, dDialFailures, st.DialFailures)
	counter(ch, dRemoved, st.Removed)
	counter(ch, dHealthRemoved, st.HealthRemoved)
	counter(ch, dReconnects, m.reconnects.Load())
	counter(ch, dMissed, m.missedEvents.Load())
	for _, k := range kinds {
		counter(ch, dConnectFailures, m.connectFailures[k].Load(), k.String())
	}
	for _, lc := range st.Sent {
		counter(ch, dSent, lc.Messages, lc.PayloadType.String(), lc.Wire.String())
		counter(ch, dSentBytes, lc.Bytes, lc.PayloadType.String(), lc.Wire.String())
	}
	for _, pt := range protocol.DataPayloadTypes() {
		counter(ch, dSendErrors, st.SendErrors[pt], pt.String())
	}
	counter(ch, dInbound, st.Inbound.Delivered, "delivered")
	counter(ch, dInbound, st.Inbound.Dropped, "dropped")
	counter(ch, dInbound, st.Inbound.Rejected, "rejected")
	counter(ch, dInboundWaits, st.Inbound.Throttled)
	gauge(ch, dInboundBytes, float64(st.Inbound.BytesHeld))
	gauge(ch, dInboundPeers, float64(st.Inbound.Peers))
	gauge(ch, dInboundWorkers, float64(st.Inbound.Workers))
	counter(ch, dUnflushed, st.Unflushed)

	var wires [wireKinds][len(wireStatesArr)]int
	for _, dest := range mgr.ListDests() {
		t, ok := mgr.Transport(dest)
		if !ok {
			continue
		}
		for _, w := range t.Pool().Wires() {
			if int(w.Kind) < wireKinds && int(w.State) < len(wireStatesArr) {
				wires[w.Kind][w.State]++
			}
		}
	}
	for _, k := range kinds {
		for _, s := range wireStates {
			gauge(ch, dWires, float64(wires[k][s]), k.String(), s.String())
		}
	}
}

// wireStatesArr sizes the per-state array: WireState values are small.
var wireStatesArr [int(transport.WireClosed) + 1]struct{}

func collectWebSocket(ch chan<- prometheus.Metric, role string, c *websocket.Counters) {
	counter(ch, dWSFrames, c.FramesIn.Load(), role, "in")
	counter(ch, dWSFrames, c.FramesOut.Load(), role, "out")
	counter(ch, dWSBytes, c.BytesIn.Load(), role, "in")
	counter(ch, dWSBytes, c.BytesOut.Load(), role, "out")
	counter(ch, dWSBad, c.ShortFrames.Load(), role, "short")
	counter(ch, dWSBad, c.LengthMismatches.Load(), role, "length")
	counter(ch, dWSBad, c.OversizeFrames.Load(), role, "oversize")
	counter(ch, dWSBad, c.UnknownTypeFrames.Load(), role, "unknown_type")
	counter(ch, dWSBad, c.TextMessages.Load(), role, "text")
	counter(ch, dWSBad, c.ProtocolErrors.Load(), role, "protocol")
	dials, fails := c.Dials.Load(), c.DialFailures.Load()
	counter(ch, dWSDials, dials-min(fails, dials), role, "ok")
	counter(ch, dWSDials, fails, role, "failed")
	counter(ch, dWSAccepted, c.Accepted.Load(), role)
	counter(ch, dWSRejected, c.RejectedAuth.Load(), role, "auth")
	counter(ch, dWSRejected, c.RejectedRealm.Load(), role, "realm")
	counter(ch, dWSRejected, c.RejectedOrigin.Load(), role, "origin")
	counter(ch, dWSRejected, c.RejectedTarget.Load(), role, "target")
	counter(ch, dWSRejected, c.RejectedPath.Load(), role, "path")
	counter(ch, dWSRejected, c.RejectedDuplicate.Load(), role, "duplicate")
	counter(ch, dWSRejected, c.RejectedBusy.Load(), role, "busy")
	counter(ch, dWSRejected, c.RejectedPerIP.Load(), role, "per_ip")
	counter(ch, dWSRejected, c.RejectedBad.Load(), role, "bad_request")
	counter(ch, dWSAuth, c.RejectedProof.Load(), role, "proof")
	counter(ch, dWSAuth, c.RejectedReplay.Load(), role, "replay")
	counter(ch, dWSAuth, c.RejectedProofCacheFull.Load(), role, "proof_cache_full")
	counter(ch, dWSAuth, c.RejectedBearer.Load(), role, "bearer")
	counter(ch, dWSPingFails, c.PingFailures.Load(), role)
	counter(ch, dWSStalled, c.StalledWrites.Load(), role)
	counter(ch, dWSPings, c.Pings.Load(), role)
	counter(ch, dWSUnsent, c.UnsentAtDeath.Load(), role)
	gauge(ch, dWSOpen, float64(c.OpenConns.Load()), role)
	gauge(ch, dWSBuffered, float64(c.BufferedBytes.Load()), role)
	counter(ch, dWSDropped, c.DroppedAtAccept.Load(), role)
	counter(ch, dWSDisc, c.Stalls.Load(), role, "stalled")
	counter(ch, dWSDisc, c.StalledWrites.Load(), role, "write_deadline")
	counter(ch, dWSDisc, c.PingFailures.Load(), role, "keepalive")
	counter(ch, dWSDisc, c.RefusedBudget.Load(), role, "budget")
}

func collectWebRTC(ch chan<- prometheus.Metric, co *webrtc.Coordinator) {
	c := co.Counters()
	gauge(ch, dRTCSessions, float64(co.Sessions()))
	created, accepted := c.Sessions.Load(), c.Accepted.Load()
	counter(ch, dRTCCreated, created-min(accepted, created), "outbound")
	counter(ch, dRTCCreated, accepted, "inbound")
	started, completed := c.ICERestarts.Load(), c.ICERestartsCompleted.Load()
	counter(ch, dRTCRestarts, started, "started")
	counter(ch, dRTCRestarts, completed, "completed")
	counter(ch, dRTCRestarts, c.RestartRequestsSent.Load(), "requested")
	counter(ch, dRTCMsgs, c.MessagesIn.Load(), "in")
	counter(ch, dRTCMsgs, c.MessagesOut.Load(), "out")
	counter(ch, dRTCBytes, c.BytesIn.Load(), "in")
	counter(ch, dRTCBytes, c.BytesOut.Load(), "out")
	counter(ch, dRTCBad, c.BadMessages.Load(), "message")
	counter(ch, dRTCBad, c.BadSignals.Load(), "signal")
	counter(ch, dRTCBad, c.StaleSignals.Load(), "stale_signal")
	counter(ch, dRTCBad, c.RefusedChannels.Load(), "data_channel")
	counter(ch, dRTCStalls, c.Stalls.Load())
	gauge(ch, dRTCSetups, float64(co.InboundSetups()))
	counter(ch, dRTCSetupsRefused, c.SetupsRefused.Load(), "cap")
	counter(ch, dRTCSetupsRefused, c.SetupsRefusedPeer.Load(), "per_peer")
	counter(ch, dRTCSetupTimeouts, c.SetupTimeouts.Load())
	counter(ch, dRTCSetupsEvicted, c.SetupsEvicted.Load())
	counter(ch, dRTCRefusedByPeer, c.RefusedByPeer.Load())
	counter(ch, dRTCCandidates, c.CandidatesAccepted.Load(), "accepted")
	counter(ch, dRTCCandidates, c.CandidatesOverCap.Load(), "over_cap")
	counter(ch, dRTCCandidates, c.CandidatesOffNetwork.Load(), "off_network")
	counter(ch, dRTCCandidates, c.CandidatesBadAddress.Load(), "bad_address")
	counter(ch, dRTCCandidates, c.CandidatesMalformed.Load(), "malformed")
	gauge(ch, dRTCReasmBytes, float64(co.ReassemblyBytes()))
	counter(ch, dRTCReasmRefused, c.ReassemblyRefused.Load())
}

func collectSignaling(ch chan<- prometheus.Metric, c *signaling.ServerCounters) {
	counter(ch, dSigConns, c.Connections.Load())
	counter(ch, dSigActors, c.Registrations.Load(), "registered")
	counter(ch, dSigActors, c.Resumes.Load(), "resumed")
	counter(ch, dSigActors, c.Unregistrations.Load(), "unregistered")
	counter(ch, dSigActors, c.Expirations.Load(), "expired")
	counter(ch, dSigRelays, c.Relayed.Load(), "relayed")
	counter(ch, dSigRelays, c.RelayRefused.Load(), "refused")
	counter(ch, dSigRelays, c.RoleAssignments.Load(), "role_assignment")
	counter(ch, dSigRejects, c.Malformed.Load(), "malformed")
	counter(ch, dSigRejects, c.Unauthorized.Load(), "unauthorized")
	counter(ch, dSigRejects, c.RateLimited.Load(), "rate_limited")
	counter(ch, dSigRejects, c.Dropped.Load(), "dropped")
	counter(ch, dSigRejects, c.AbuseClosed.Load(), "abuse_closed")
	counter(ch, dSigCreds, c.ProofRefused.Load(), "proof")
	counter(ch, dSigCreds, c.ProofReplayed.Load(), "replay")
	counter(ch, dSigCreds, c.ProofCacheFull.Load(), "proof_cache_full")
	counter(ch, dSigCreds, c.BearerRefused.Load(), "bearer")
	counter(ch, dSigCreds, c.RevokedRefused.Load(), "revoked")
	counter(ch, dSigCreds, c.RenewalRefused.Load(), "renewal")
	counter(ch, dSigRenew, c.Renewals.Load())
	counter(ch, dSigEvicted, c.RenewalTokensEvicted.Load(), "renewal_tokens")
	counter(ch, dSigEvicted, c.RevokedEvicted.Load(), "revoked")
	gauge(ch, dSigOpen, float64(c.OpenConnections()))
	gauge(ch, dSigQueued, float64(c.QueuedBytes()))
	for _, r := range signaling.RefusalReasons() {
		counter(ch, dSigRefused, c.Refused(r), r.String())
	}
	for _, r := range signaling.DisconnectReasons() {
		counter(ch, dSigClosed, c.Disconnected(r), r.String())
	}
}

// maxClusterServerLabels bounds the servers named in
// signaling_cluster_actors; the rest are summed under "other".
const maxClusterServerLabels = 64

// collectCluster reports the server's cluster, when it has one.
func collectCluster(ch chan<- prometheus.Metric, srv *signaling.Server) {
	st := srv.ClusterState()
	if !st.Enabled {
		return
	}
	c := srv.Counters()
	gauge(ch, dClusterServers, float64(st.Servers))
	healthy := 0.0
	if st.Healthy {
		healthy = 1
	}
	gauge(ch, dClusterHealthy, healthy)
	// Server names come from the backplane: bound the label's values.
	names := slices.Sorted(maps.Keys(st.ActorsByServer))
	other := 0
	for i, server := range names {
		if i >= maxClusterServerLabels {
			other += st.ActorsByServer[server]
			continue
		}
		gauge(ch, dClusterActors, float64(st.ActorsByServer[server]), server)
	}
	if len(names) > maxClusterServerLabels {
		gauge(ch, dClusterActors, float64(other), "other")
	}
	counter(ch, dClusterRelays, c.ClusterRelaysSent.Load(), "sent")
	counter(ch, dClusterRelays, c.ClusterRelaysReceived.Load(), "received")
	counter(ch, dClusterRelays, c.ClusterRelaysRefused.Load(), "unanswered")
	counter(ch, dClusterRelays, c.ClusterDedupDrops.Load(), "duplicate")
	counter(ch, dClusterEvents, c.ClusterRefused.Load(), "registration_refused")
	counter(ch, dClusterEvents, c.ClusterFailovers.Load(), "failover")
	counter(ch, dClusterEvents, c.ClusterRenewals.Load(), "failover_renewal")
}
