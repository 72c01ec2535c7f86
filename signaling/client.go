package signaling

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// ClientConfig configures a Client. URL, Type and Realm are required.
type ClientConfig struct {
	// URL is the server's ws:// or wss:// URL: its base ("ws://host:7000/")
	// or its signaling socket ("ws://host:7000/signaling/ws"). The client
	// registers with POST <base>/register (http:// or https:// on the same
	// host) and then opens <base>/signaling/ws with its identity.
	URL string
	// URLs are more servers of the same cluster (or URL's replacements:
	// URL may be empty when URLs is not). The client registers with the
	// first that answers and, when its server is lost, reconnects to each
	// in turn, resuming with its credential so that it keeps its ActorID
	// (the servers must share ServerConfig.Name, the proofs' audience).
	URLs  []string
	Type  ActorType
	Realm uint32
	// ServiceSpec, when set, is registered with the actor: the API it
	// serves, which others fetch by name (Client.ServiceSpec).
	ServiceSpec *protocol.ServiceSpec
	RealmSecret string // sent in X-Actr-Realm-Secret when the realm needs it
	// HTTPClient makes the handshakes (TLS settings for wss://).
	HTTPClient *http.Client
	// CallTimeout bounds a call whose ctx has no deadline (default 10 s).
	CallTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the reconnect backoff (default
	// 100 ms and 5 s, doubling, ±20 % jitter).
	ReconnectMin, ReconnectMax time.Duration
	// Heartbeat gives what each ping reports (default: FULL, no backlog).
	Heartbeat func() (protocol.ServiceAvailabilityState, float32)
	// AnswerOnly asks the server never to make this actor the offerer of
	// a WebRTC session (webrtc_role=answer), unless its peer asked too.
	AnswerOnly bool
	// WSAddress, when set, is registered as the actor's WebSocket gate
	// (ws:// or wss://; the server replaces ActorIDPlaceholder in it by
	// the id it assigns), for peers to find in route candidates.
	WSAddress string
	// HolderKey is the actor's own Ed25519 key: its public half is sent
	// when registering (RegisterRequest.holder_key), so the credential
	// issued is bound to it, and the client proves possession of it when
	// it resumes on a new connection. nil: the client generates one. Keep
	// it secret; it never leaves the process.
	HolderKey ed25519.PrivateKey
	// Logger (default: discard). Credentials and secrets are never logged.
	Logger *slog.Logger
}

// PresenceEvent says an actor of a subscribed type came up or went down.
type PresenceEvent struct {
	Actor protocol.ActorID
	Up    bool
}

// Relay is a relayed WebRTC session message from another actor.
type Relay struct {
	From protocol.ActorID
	Msg  *protocol.ActrRelay
}

// RelayRefusal is the server's refusal of a relayed message.
type RelayRefusal struct {
	Target protocol.ActorID
	Err    *ErrorResponseError
}

type relaySent struct {
	target protocol.ActorID
	at     time.Time
	conn   *clientConn
}

// Client is an actor's connection to the signaling server. It registers
// on Dial, keeps itself present with heartbeats, renews its credential,
// and reconnects by itself, resuming the same ActorID while its credential
// is valid and restoring its presence subscriptions.
type Client struct {
	cfg      ClientConfig
	log      *slog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	prefix   string
	seq      atomic.Uint64
	presence chan PresenceEvent
	relays   chan Relay
	dropped  atomic.Uint64
	// unconfirmed: relays reported because their connection was lost.
	unconfirmed atomic.Uint64
	writeMu     sync.Mutex // one writer at a time; never holds a ctx that could tear the connection down
	refusals    chan RelayRefusal

	relayMu    sync.Mutex
	relaysSent map[string]relaySent // relays whose refusal may still come

	eps []endpoints // each server's socket, registration and renewal URLs

	mu        sync.Mutex
	conn      *clientConn // nil while disconnected
	connected chan struct{}
	id        protocol.ActorID
	cred      *protocol.AIdCredential
	credExp   time.Time
	ice       ICEServers // from the last RegisterOk
	renewal   []byte     // the renewal token; sent only to the server
	audience  string     // the server's name, for proofs
	credTTL   time.Duration
	heartbeat time.Duration
	subs      map[ActorType]struct{}
	gates     map[protocol.ActorID]string // peers' WebSocket gates seen in route candidates
	closed    bool
	cur       int // the index in eps of the server in use
}

// clientConn is one connection; its pending calls fail when it ends.
type clientConn struct {
	ws      *websocket.Conn
	done    chan struct{}
	mu      sync.Mutex
	pending map[string]chan *protocol.SignalingEnvelope
	// proven: the server trusts this connection for the actor (it
	// registered on it, or proved possession of the holder key); until
	// then actor envelopes carry a proof.
	proven atomic.Bool
}

// Dial connects to the server and registers a new actor of cfg.Type in
// cfg.Realm. It returns once registered; the client then runs until Close.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	if (cfg.URL == "" && len(cfg.URLs) == 0) || cfg.Type.Manufacturer == "" || cfg.Type.Name == "" {
		return nil, errors.New("signaling: ClientConfig needs URL (or URLs) and Type")
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.ReconnectMin <= 0 {
		cfg.ReconnectMin = 100 * time.Millisecond
	}
	if cfg.ReconnectMax <= 0 {
		cfg.ReconnectMax = 5 * time.Second
	}
	if cfg.Heartbeat == nil {
		cfg.Heartbeat = func() (protocol.ServiceAvailabilityState, float32) { return protocol.ServiceAvailabilityState_FULL, 0 }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.HolderKey == nil {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("signaling: generating a holder key: %w", err)
		}
		cfg.HolderKey = key
	} else if len(cfg.HolderKey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("signaling: ClientConfig.HolderKey must be a %d-byte Ed25519 private key", ed25519.PrivateKeySize)
	}
	eps, err := parseServers(cfg.URL, cfg.URLs)
	if err != nil {
		return nil, err
	}
	var p [6]byte
	_, _ = rand.Read(p[:])
	c := &Client{cfg: cfg, log: cfg.Logger, prefix: hex.EncodeToString(p[:]) + "-", eps: eps,
		presence: make(chan PresenceEvent, 256), relays: make(chan Relay, 256),
		refusals: make(chan RelayRefusal, 64), relaysSent: map[string]relaySent{},
		subs: map[ActorType]struct{}{}, gates: map[protocol.ActorID]string{}, connected: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	cc, err := c.first(ctx)
	if err != nil {
		c.cancel()
		c.wg.Wait()
		return nil, err
	}
	c.wg.Add(1)
	go c.run(cc)
	return c, nil
}

// ID returns the client's actor id.
func (c *Client) ID() protocol.ActorID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// Credential returns the current credential (renewed as it nears expiry).
func (c *Client) Credential() *protocol.AIdCredential {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cred
}

// CredentialExpiry returns when the current credential expires.
func (c *Client) CredentialExpiry() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.credExp
}

// Presence delivers presence events of subscribed types. A consumer that
// falls 256 events behind loses events (counted by Dropped).
func (c *Client) Presence() <-chan PresenceEvent { return c.presence }

// Relays delivers relayed session messages from other actors, including
// role assignments the other side negotiated.
func (c *Client) Relays() <-chan Relay { return c.relays }

// Refusals delivers the server's refusals of relayed messages.
func (c *Client) Refusals() <-chan RelayRefusal { return c.refusals }

// Dropped reports events lost because their consumer fell behind.
func (c *Client) Dropped() uint64 { return c.dropped.Load() }

// Connected reports whether the client is connected right now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil
}

// WaitConnected waits until the client is connected.
func (c *Client) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return ErrClosed
		}
		if c.conn != nil {
			c.mu.Unlock()
			return nil
		}
		ch := c.connected
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close disconnects without unregistering (the server drops the actor
// after its presence timeout) and stops the client's goroutines.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.wg.Wait()
		return nil
	}
	c.closed = true
	cc := c.conn
	c.mu.Unlock()
	c.cancel()
	if cc != nil {
		_ = cc.ws.CloseNow()
	}
	c.wg.Wait()
	return nil
}

// dial opens the signaling socket with the client's identity; the server
// binds it to the actor before the upgrade.
func (c *Client) dial(ctx context.Context) (*clientConn, error) {
	c.mu.Lock()
	id, cred, audience := c.id, c.cred, c.audience
	c.mu.Unlock()
	// A holder-bound credential comes with a proof of possession made for
	// this server (ours; actr's nodes hold bearer credentials and send
	// none).
	proof, _ := auth.Prove(c.cfg.HolderKey, cred, id, audience, time.Now())
	ep := c.endpoint()
	u := ep.socketURL(id, cred, proof, c.cfg.AnswerOnly)
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: c.cfg.HTTPClient})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("signaling: connecting to %s: %w", ep.socket, ErrCredentialRefused)
		}
		return nil, fmt.Errorf("signaling: connecting to %s: %w", ep.socket, err)
	}
	ws.SetReadLimit(1 << 20)
	cc := &clientConn{ws: ws, done: make(chan struct{}), pending: map[string]chan *protocol.SignalingEnvelope{}}
	cc.proven.Store(true) // the server bound it to the actor at the upgrade
	c.wg.Add(1)
	go c.read(cc)
	return cc, nil
}

// read dispatches what the server sends until the connection ends, then
// fails the connection's pending calls.
func (c *Client) read(cc *clientConn) {
	defer c.wg.Done()
	defer func() {
		close(cc.done)
		_ = cc.ws.CloseNow()
	}()
	for {
		_, data, err := cc.ws.Read(context.Background())
		if err != nil {
			return
		}
		var env protocol.SignalingEnvelope
		if err := proto.Unmarshal(data, &env); err != nil {
			c.log.Warn("signaling: unreadable envelope from the server")
			continue
		}
		if rf := env.GetReplyFor(); rf != "" {
			cc.mu.Lock()
			ch := cc.pending[rf]
			delete(cc.pending, rf)
			cc.mu.Unlock()
			if ch != nil {
				ch <- &env
				continue
			}
		}
		c.dispatch(&env)
	}
}

func (c *Client) dispatch(env *protocol.SignalingEnvelope) {
	switch f := env.Flow.(type) {
	case *protocol.SignalingEnvelope_ServerToActr:
		var who *protocol.ActrId
		up := false
		if ev := f.ServerToActr.GetActrUpEvent(); ev != nil {
			who, up = ev.GetActorId(), true
		} else if ev := f.ServerToActr.GetActrDownEvent(); ev != nil {
			who = ev.GetActorId()
		}
		if who != nil {
			id, err := protocol.ActorIDFromProto(who)
			if err != nil {
				return
			}
			select {
			case c.presence <- PresenceEvent{Actor: id, Up: up}:
			default:
				c.dropped.Add(1)
			}
		}
	case *protocol.SignalingEnvelope_ActrRelay:
		from, err := protocol.ActorIDFromProto(f.ActrRelay.GetSource())
		if err != nil {
			return
		}
		select {
		case c.relays <- Relay{From: from, Msg: f.ActrRelay}:
		default:
			c.dropped.Add(1)
		}
	case *protocol.SignalingEnvelope_EnvelopeError:
		c.relayMu.Lock()
		sent, ok := c.relaysSent[env.GetReplyFor()]
		delete(c.relaysSent, env.GetReplyFor())
		c.relayMu.Unlock()
		if ok {
			select {
			case c.refusals <- RelayRefusal{Target: sent.target, Err: &ErrorResponseError{Code: f.EnvelopeError.GetCode(), Message: f.EnvelopeError.GetMessage()}}:
			default:
				c.dropped.Add(1)
			}
			return
		}
		c.log.Info("signaling: the server refused an envelope", "code", f.EnvelopeError.GetCode(), "message", f.EnvelopeError.GetMessage())
	}
}

// call sends env on cc and waits for the envelope that answers it.
func (c *Client) callOn(ctx context.Context, cc *clientConn, env *protocol.SignalingEnvelope) (*protocol.SignalingEnvelope, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.CallTimeout)
		defer cancel()
	}
	id := c.prefix + strconv.FormatUint(c.seq.Add(1), 36)
	env.EnvelopeId = proto.String(id)
	env.EnvelopeVersion = proto.Uint32(protocol.EnvelopeVersion)
	ch := make(chan *protocol.SignalingEnvelope, 1)
	cc.mu.Lock()
	cc.pending[id] = ch
	cc.mu.Unlock()
	defer func() {
		cc.mu.Lock()
		delete(cc.pending, id)
		cc.mu.Unlock()
	}()
	if err := c.write(cc, env); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if e := r.GetEnvelopeError(); e != nil {
			return nil, &ErrorResponseError{Code: e.GetCode(), Message: e.GetMessage()}
		}
		return r, nil
	case <-cc.done:
		return nil, fmt.Errorf("%w: the connection dropped while waiting for the answer", ErrDisconnected)
	case <-ctx.Done():
		return nil, fmt.Errorf("signaling: waiting for the server: %w", ctx.Err())
	}
}

func (c *Client) write(cc *clientConn, env *protocol.SignalingEnvelope) error {
	b, err := proto.Marshal(env)
	if err != nil {
		return fmt.Errorf("signaling: encoding an envelope: %w", err)
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	select {
	case <-cc.done:
		return ErrDisconnected
	default:
	}
	// A ctx reaching the library mid-write would close the connection, so
	// none is passed; a dead server is found by the heartbeat.
	if err := cc.ws.Write(context.Background(), websocket.MessageBinary, b); err != nil {
		return fmt.Errorf("%w: %v", ErrDisconnected, err)
	}
	return nil
}

// current returns the live connection, or ErrDisconnected / ErrClosed.
func (c *Client) current() (*clientConn, protocol.ActorID, *protocol.AIdCredential, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, c.id, nil, ErrClosed
	case c.conn == nil:
		return nil, c.id, nil, ErrDisconnected
	case c.id.IsZero():
		return nil, c.id, nil, ErrNotRegistered
	}
	return c.conn, c.id, c.cred, nil
}

// proofFor returns a proof of possession for the server when cc is not
// trusted for the actor yet, and nil when it is or cred is not bound.
func (c *Client) proofFor(cc *clientConn, id protocol.ActorID, cred *protocol.AIdCredential) *protocol.ProofOfPossession {
	if cc.proven.Load() || cred == nil {
		return nil
	}
	c.mu.Lock()
	audience := c.audience
	c.mu.Unlock()
	p, err := auth.Prove(c.cfg.HolderKey, cred, id, audience, time.Now())
	if err != nil {
		return nil // a bearer credential: nothing to prove
	}
	return p
}

// Prove returns the client's current credential and a fresh proof of
// possession of its holder key made for audience (auth.GateAudience of
// the gate dialled): what a WebSocket dialer presents. The proof is nil
// when the credential is a bearer one.
func (c *Client) Prove(audience string) (*protocol.AIdCredential, *protocol.ProofOfPossession, error) {
	c.mu.Lock()
	id, cred := c.id, c.cred
	c.mu.Unlock()
	if cred == nil {
		return nil, nil, ErrNotRegistered
	}
	p, err := auth.Prove(c.cfg.HolderKey, cred, id, audience, time.Now())
	if err != nil {
		return cred, nil, nil
	}
	return cred, p, nil
}

// HolderPublicKey is the public half of the client's holder key.
func (c *Client) HolderPublicKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), c.cfg.HolderKey.Public().(ed25519.PublicKey)...)
}

// actorCall sends an actor_to_server request and returns the answer.
func (c *Client) actorCall(ctx context.Context, m *protocol.ActrToSignaling) (*protocol.SignalingToActr, error) {
	cc, id, cred, err := c.current()
	if err != nil {
		return nil, err
	}
	return c.actorCallOn(ctx, cc, id, cred, m)
}

func (c *Client) actorCallOn(ctx context.Context, cc *clientConn, id protocol.ActorID, cred *protocol.AIdCredential, m *protocol.ActrToSignaling) (*protocol.SignalingToActr, error) {
	m.Source, m.Credential, m.Proof = id.Proto(), cred, c.proofFor(cc, id, cred)
	r, err := c.callOn(ctx, cc, &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrToServer{ActrToServer: m}})
	if err != nil {
		if er, ok := errors.AsType[*ErrorResponseError](err); ok && er.Code == CodeUnauthorized {
			cc.proven.Store(false) // prove again next time
		}
		return nil, err
	}
	cc.proven.Store(true)
	out := r.GetServerToActr()
	if out == nil {
		return nil, errors.New("signaling: the server answered with an unexpected envelope")
	}
	if e := out.GetError(); e != nil {
		return nil, &ErrorResponseError{Code: e.GetCode(), Message: e.GetMessage()}
	}
	return out, nil
}
