package signaling

// RefusalReason says why the server refused a connection or a request
// without closing the connection (connection caps refuse before the
// upgrade; the others answer an error envelope).
type RefusalReason uint8

// Refusal reasons, the label values of the refusals metric.
const (
	RefusedConnLimit        RefusalReason = iota // MaxConns reached (503)
	RefusedAddrConnLimit                         // MaxConnsPerAddr reached (429)
	RefusedRegisterRate                          // RegisterRate of the remote address exceeded
	RefusedConnRate                              // RateLimit of the connection exceeded
	RefusedAddrRate                              // AddrRateLimit of the remote address exceeded
	RefusedActorRate                             // RateLimit of the actor (all its connections) exceeded
	RefusedSubscriptions                         // MaxSubscriptions of the actor reached
	RefusedTypeName                              // manufacturer or name longer than MaxTypeName
	RefusedSecret                                // wrong or missing realm secret
	RefusedSecretLockout                         // too many failed secrets from the address
	RefusedSendBudget                            // relay refused: the target's outbound budget is full
	RefusedHTTPMethod                            // registration, renewal or socket with the wrong HTTP method (405)
	RefusedContentType                           // registration or renewal body not application/x-protobuf (415)
	RefusedBodySize                              // registration or renewal body over MaxRegisterBody (413)
	RefusedSocketQuery                           // signaling socket query missing or malformed (400)
	RefusedSocketCredential                      // signaling socket credential forged, expired or not the actor's (401)
	RefusedWSAddress                             // register_request.ws_address too long or not a ws:// or wss:// URL
	RefusedRenewal                               // renewal token refused, or none issued (401)
	RefusedOrigin                                // a browser page from an origin ServerConfig.AllowedOrigins does not admit (403)
	RefusedJoinToken                             // a join token forged, expired, for another realm or too long-lived (403)
	RefusedCluster                               // registration refused: the cluster backplane is unreachable (503)
	numRefusalReasons
)

var refusalNames = [numRefusalReasons]string{"conn_limit", "addr_conn_limit", "register_rate", "conn_rate",
	"addr_rate", "actor_rate", "subscriptions", "type_name", "secret", "secret_lockout", "send_budget",
	"http_method", "content_type", "body_size", "socket_query", "socket_credential", "ws_address", "renewal", "origin", "join_token", "cluster"}

// String returns the reason's metric label.
func (r RefusalReason) String() string {
	if r < numRefusalReasons {
		return refusalNames[r]
	}
	return "unknown"
}

// RefusalReasons lists every refusal reason, for exporters.
func RefusalReasons() []RefusalReason {
	rs := make([]RefusalReason, numRefusalReasons)
	for i := range rs {
		rs[i] = RefusalReason(i)
	}
	return rs
}

// DisconnectReason says why a connection to the server ended.
type DisconnectReason uint8

// Disconnect reasons, the label values of the disconnections metric.
const (
	DisconnectPeer            DisconnectReason = iota // the client closed or the connection broke
	DisconnectNoRequest                               // TCP connection closed before a complete HTTP request (HeaderTimeout)
	DisconnectRegisterTimeout                         // no registration or credential within RegisterTimeout
	DisconnectKeepalive                               // a ping not answered within PingTimeout
	DisconnectWriteTimeout                            // a write not done within WriteTimeout: the client does not read
	DisconnectSendBudget                              // the server's own message did not fit the outbound budget
	DisconnectAbuse                                   // too many malformed or unauthorised envelopes
	DisconnectReplaced                                // a newer connection of the same actor
	DisconnectServerClosing                           // Server.Close
	numDisconnectReasons
)

var disconnectNames = [numDisconnectReasons]string{"peer", "no_request", "register_timeout", "keepalive",
	"write_timeout", "send_budget", "abuse", "replaced", "server_closing"}

// String returns the reason's metric label.
func (r DisconnectReason) String() string {
	if r < numDisconnectReasons {
		return disconnectNames[r]
	}
	return "unknown"
}

// DisconnectReasons lists every disconnect reason, for exporters.
func DisconnectReasons() []DisconnectReason {
	rs := make([]DisconnectReason, numDisconnectReasons)
	for i := range rs {
		rs[i] = DisconnectReason(i)
	}
	return rs
}

// Refused returns how many refusals had reason r.
func (c *ServerCounters) Refused(r RefusalReason) uint64 {
	if r >= numRefusalReasons {
		return 0
	}
	return c.refused[r].Load()
}

// Disconnected returns how many connections ended for reason r.
func (c *ServerCounters) Disconnected(r DisconnectReason) uint64 {
	if r >= numDisconnectReasons {
		return 0
	}
	return c.disconnected[r].Load()
}

// OpenConnections returns the connections open now (TCP connections when
// the server owns the listener, upgraded ones when embedded as a handler).
func (c *ServerCounters) OpenConnections() int64 { return c.open.Load() }

// QueuedBytes returns the bytes held now in all outbound queues,
// including the envelopes being written.
func (c *ServerCounters) QueuedBytes() int64 { return c.queued.Load() }

func (c *ServerCounters) refuse(r RefusalReason) { c.refused[r].Add(1) }
