package signaling

import (
	"context"
	"crypto/ed25519"
	"errors"

	"github.com/actr-go/actr/protocol"
)

// ErrClusterUnavailable is returned (wrapped) by a Cluster that cannot
// reach its backplane. A Server whose Cluster is unavailable refuses new
// registrations (503, counted in ClusterRefused) rather than hand out
// serials and presence that the rest of the realm cannot see.
var ErrClusterUnavailable = errors.New("signaling: cluster backplane unavailable")

// Cluster is the backplane that makes several Servers one realm: a
// directory of the actors online on every server, relays to the server
// holding a target's connection, the signing keys of every server, and
// serials unique across them. ServerConfig.Cluster nil keeps a server on
// its own, in memory. Implementations (package natscluster) do their I/O
// on goroutines they own: Up and Down must not block, because the server
// calls them under its lock, in the order actors come and go.
type Cluster interface {
	// Join starts the backplane for one server, which h serves: relays
	// and presence from the other servers reach it through h. It
	// publishes key (the server's credential-signing key) for every
	// server to trust. Called once, by NewServer.
	Join(ctx context.Context, key ClusterKey, h ClusterHandler) error
	// Healthy reports whether the backplane is reachable now.
	Healthy() bool
	// NextSerial returns a serial number no other server of the cluster
	// returns.
	NextSerial(ctx context.Context) (uint64, error)
	// Up and Down announce an actor of this server coming online and
	// going offline, to the directory and to the other servers'
	// presence subscribers. They queue; they never block.
	Up(a ClusterActor)
	Down(id protocol.ActorID)
	// Lookup returns the directory's entry of an actor online on
	// another server.
	Lookup(id protocol.ActorID) (ClusterActor, bool)
	// Remote returns the actors of realm online on other servers.
	Remote(realm uint32) []ClusterActor
	// Relay hands r to the server holding r.Target and returns its
	// answer: nil when delivered, an error response (not online, behind,
	// too large) as the local path gives. A Go error means the relay did
	// not get an answer (timeout, backplane down).
	Relay(ctx context.Context, server string, r ClusterRelay) (*protocol.ErrorResponse, error)
	// Keys returns every signing key published to the cluster.
	Keys() map[uint32]ed25519.PublicKey
	// Servers is how many servers the backplane has seen alive.
	Servers() int
	// Close leaves the cluster (withdrawing this server's actors) and
	// stops the backplane's goroutines.
	Close() error
}

// ClusterHandler is what a Cluster calls on the server it serves, from
// its own goroutines.
type ClusterHandler interface {
	// DeliverRelay delivers a relay another server forwarded to a local
	// actor and returns the answer the sender gets.
	DeliverRelay(r ClusterRelay) *protocol.ErrorResponse
	// Presence tells local subscribers that an actor of another server
	// came up or went down.
	Presence(id protocol.ActorID, up bool)
	// KeyAdded adds a signing key another server published.
	KeyAdded(keyID uint32, pub ed25519.PublicKey)
}

// ClusterKey is a server's credential-signing public key.
type ClusterKey struct {
	KeyID  uint32
	Public ed25519.PublicKey
}

// ClusterActor is a directory entry: an actor online on Server.
type ClusterActor struct {
	ID         protocol.ActorID
	Server     string // the backplane's name of the server holding its connection
	AnswerOnly bool   // it connected with webrtc_role=answer
	WSAddress  string // its WebSocket gate, or ""
	Spec       *protocol.ServiceSpec
}

// ClusterRelay is a relay from one server to another: the envelope id
// the sender's server gave it (the receiving side drops a second delivery
// of the same Source and ID), its ends, and the payload.
type ClusterRelay struct {
	ID             string
	Source, Target protocol.ActorID
	Relay          *protocol.ActrRelay
}
