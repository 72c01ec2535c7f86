package websocket

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Handshake headers.
const (
	HeaderSourceID   = "X-Actr-Source-ID"  // the sender's ActorID (request), the gate's (response)
	HeaderTargetID   = "X-Actr-Target-ID"  // the ActorID the caller wants to reach
	HeaderCredential = "X-Actr-Credential" // the caller's credential, auth.EncodeHeader form
	HeaderProof      = "X-Actr-Proof"      // actr-go: proof of possession of the credential's holder key, auth.EncodeProofHeader form
)

// EncodeActorHeader is the form actr's gates read X-Actr-Source-ID in:
// lower-case hex of the deterministically encoded ActrId. Our dialer sends
// it (source and target); our gate reads it and our text form.
func EncodeActorHeader(id protocol.ActorID) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(id.Proto())
	if err != nil {
		return ""
	}
	return hex.EncodeToString(b)
}

// ParseActorHeader reads an actor id header in actr's form (hex of the
// encoded ActrId) or in ours (protocol.ActorID.String).
func ParseActorHeader(s string) (protocol.ActorID, error) {
	if len(s) > maxActorHeaderLen {
		return protocol.ActorID{}, fmt.Errorf("%w: a header of %d bytes", protocol.ErrBadActorID, len(s))
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) > 0 {
		var m protocol.ActrId
		if err := proto.Unmarshal(b, &m); err != nil {
			return protocol.ActorID{}, fmt.Errorf("%w: hex that is not an encoded ActrId", protocol.ErrBadActorID)
		}
		return protocol.ActorIDFromProto(&m)
	}
	return protocol.ParseActorID(s)
}

const maxActorHeaderLen = 2048

// A ProofSource returns the credential to present to a gate together with
// a fresh proof of possession of its holder key made for audience
// (auth.GateAudience of the gate's actor); the proof is nil for a bearer
// credential. (*signaling.Client).Prove is one, without the ctx.
type ProofSource func(ctx context.Context, audience string) (*protocol.AIdCredential, *protocol.ProofOfPossession, error)

// A CredentialSource returns the credential to present, current at the
// time of the call (credentials are renewed: do not cache one forever).
type CredentialSource func(ctx context.Context) (*protocol.AIdCredential, error)

// StaticCredential returns a CredentialSource that always presents cred.
func StaticCredential(cred *protocol.AIdCredential) CredentialSource {
	return func(context.Context) (*protocol.AIdCredential, error) { return cred, nil }
}

// Dialer makes client connections from one local actor. Set its fields
// before first use; it is safe for concurrent use afterwards.
type Dialer struct {
	// Local is the dialling actor; required.
	Local protocol.ActorID
	// Credential is presented to the gate. nil sends none, which a gate
	// with a verifier refuses. Prove, when set, takes its place: it gives
	// the credential and a proof of possession for the gate dialled (a
	// holder-bound credential without one is refused by every gate).
	Credential CredentialSource
	Prove      ProofSource
	// TLSConfig configures wss:// dials of the Dialer's own client (nil:
	// the system's roots).
	TLSConfig *tls.Config
	// HTTPClient, when set, makes the handshake requests in place of the
	// Dialer's own client (set its Transport's TLSClientConfig for wss://).
	// Its connections are then read and written through coder/websocket,
	// without the Dialer's own frame writer and reader, as the Dialer
	// cannot reach the connection under them: slower for streams of small
	// messages (docs/BENCHMARKS.md).
	HTTPClient *http.Client
	// Options tune every connection the Dialer makes.
	Options Options
	// MaxBufferedBytes bounds the bytes all the Dialer's connections hold
	// together in frames being read, as GateConfig.MaxBufferedBytes does
	// for a gate's: a gate we dialled is a peer like any other (default
	// 256 MiB; negative: no bound, still counted).
	MaxBufferedBytes int64

	once   sync.Once
	opts   Options
	client *http.Client
	budget *byteBudget
}

func (d *Dialer) init() {
	d.once.Do(func() {
		d.opts = d.Options.withDefaults()
		limit := d.MaxBufferedBytes
		if limit == 0 {
			limit = defaultMaxBufferedBytes
		}
		d.budget = &byteBudget{max: limit, gauge: &d.opts.Counters.BufferedBytes}
		d.client = d.HTTPClient
		if d.client == nil {
			d.client = &http.Client{Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				DialContext:         captureDial((&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext, false),
				DialTLSContext:      captureDial(tlsDial(d.TLSConfig), true),
				TLSClientConfig:     d.TLSConfig,
				TLSHandshakeTimeout: 10 * time.Second,
				// An upgraded connection never returns to a pool, and a
				// refused handshake's connection is not worth keeping.
				DisableKeepAlives: true,
			}}
		}
	})
}

// Counters returns the counters of the Dialer's connections.
func (d *Dialer) Counters() *Counters {
	d.init()
	return d.opts.Counters
}

// Conn returns an unconnected wire to remote through the gate at url; its
// Connect dials. What it reads is delivered to in.
func (d *Dialer) Conn(url string, remote protocol.ActorID, in transport.Inbound) *Conn {
	d.init()
	c := newConn(d.Local, remote, in, d.opts)
	c.budget = d.budget
	c.dial = func(ctx context.Context) (*websocket.Conn, net.Conn, io.Reader, error) {
		var raw *rawConn
		if d.HTTPClient == nil && (strings.HasPrefix(url, "ws://") || strings.HasPrefix(url, "wss://")) {
			// Our client's TCP or TLS connection: data frames can be
			// written to it directly (framewriter.go), and read from it
			// (framereader.go).
			raw = &rawConn{tls: strings.HasPrefix(url, "wss://")}
			ctx = context.WithValue(ctx, rawConnKey{}, raw)
		}
		ws, _, err := d.dial(ctx, url, remote)
		if err != nil || raw == nil || raw.conn == nil {
			return ws, nil, nil, err
		}
		src, _ := raw.conn.afterHandshake()
		return ws, raw.conn, src, nil
	}
	return c
}

func (d *Dialer) dial(ctx context.Context, url string, remote protocol.ActorID) (*websocket.Conn, *http.Response, error) {
	d.opts.Counters.Dials.Add(1)
	h := http.Header{}
	h.Set(HeaderSourceID, EncodeActorHeader(d.Local))
	h.Set(HeaderTargetID, EncodeActorHeader(remote))
	switch {
	case d.Prove != nil:
		cred, proof, err := d.Prove(ctx, auth.GateAudience(remote))
		if err != nil {
			d.opts.Counters.DialFailures.Add(1)
			return nil, nil, fmt.Errorf("websocket: getting the credential and proof to present to %s: %w", remote, err)
		}
		if cred != nil {
			h.Set(HeaderCredential, auth.EncodeHeader(cred))
		}
		if proof != nil {
			h.Set(HeaderProof, auth.EncodeProofHeader(proof))
		}
	case d.Credential != nil:
		cred, err := d.Credential(ctx)
		if err != nil {
			d.opts.Counters.DialFailures.Add(1)
			return nil, nil, fmt.Errorf("websocket: getting the credential to present to %s: %w", remote, err)
		}
		if cred != nil {
			h.Set(HeaderCredential, auth.EncodeHeader(cred))
		}
	}
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: d.client, HTTPHeader: h})
	if err != nil {
		d.opts.Counters.DialFailures.Add(1)
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, resp, newHandshakeError(url, resp)
		}
		if ctx.Err() != nil {
			return nil, resp, fmt.Errorf("websocket: dialing %s: %w", url, ctx.Err())
		}
		return nil, resp, fmt.Errorf("websocket: dialing %s: %w", url, err)
	}
	if got := resp.Header.Get(HeaderSourceID); got != "" {
		if id, err := ParseActorHeader(got); err != nil || id != remote {
			_ = ws.CloseNow()
			d.opts.Counters.DialFailures.Add(1)
			return nil, resp, &HandshakeError{URL: url, Status: resp.StatusCode,
				Reason: fmt.Sprintf("the gate answered as %s, not %s: check the URL template or resolver", truncate(got, 200), remote)}
		}
	}
	return ws, resp, nil
}

// HandshakeError is a gate's refusal of a connection.
type HandshakeError struct {
	URL    string
	Status int    // the HTTP status the gate answered
	Reason string // the gate's explanation
}

func newHandshakeError(url string, resp *http.Response) *HandshakeError {
	reason := ""
	if resp.Body != nil {
		var b [256]byte
		n, _ := resp.Body.Read(b[:])
		reason = strings.TrimSpace(string(b[:n]))
	}
	return &HandshakeError{URL: url, Status: resp.StatusCode, Reason: reason}
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("websocket: the gate at %s refused the connection: %d %s: %s", e.URL, e.Status, http.StatusText(e.Status), e.Reason)
}

// Unwrap makes a 409 (the peer's own connection wins a simultaneous dial)
// match transport.ErrSuperseded, an auth refusal match ErrUnauthorized,
// and a gate that is not the peer's (404) match transport.ErrRefused: the
// pool retries neither of the last two, which the same credential and URL
// cannot change.
func (e *HandshakeError) Unwrap() error {
	switch e.Status {
	case http.StatusConflict:
		return transport.ErrSuperseded
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrUnauthorized
	case http.StatusNotFound:
		return transport.ErrRefused
	}
	return nil
}

// ErrUnauthorized: the gate refused the caller's credential or realm. It
// matches transport.ErrRefused.
var ErrUnauthorized = fmt.Errorf("websocket: the gate refused the caller's credential or realm: %w", transport.ErrRefused)

// rawConnKey carries a *rawConn in a dial's ctx to captureDial.
type rawConnKey struct{}

type rawConn struct {
	tls  bool // wss://: only a TLS connection of our own dial is the one
	conn *recordingConn
}

// captureDial wraps an http.Transport's DialContext (tls false) or
// DialTLSContext (tls true) to keep the connection it dials for the
// handshake whose ctx asks for it. A wss:// handshake through a proxy is
// made on a connection from DialContext, with TLS on top of it by
// net/http: that one is not kept, as frames must not go under the TLS.
func captureDial(dial func(ctx context.Context, network, addr string) (net.Conn, error), tls bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if raw, ok := ctx.Value(rawConnKey{}).(*rawConn); ok && err == nil && raw.tls == tls {
			rc := &recordingConn{Conn: nc}
			rc.recording.Store(true)
			raw.conn = rc
			return rc, nil
		}
		return nc, err
	}
}

// tlsDial dials a TLS connection for the Dialer's own client.
func tlsDial(cfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, Config: cfg}
		return d.DialContext(ctx, network, addr)
	}
}
