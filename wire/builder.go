// Package wire assembles the wire implementations into the
// transport.WireBuilder a node uses: DefaultWireBuilder returns, for an
// actor destination, a wire of every enabled kind the peer can be reached
// by, and the transport's WirePool dials them all at once.
package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

// ActorIDPlaceholder is replaced, in a URL template, by the peer's ActorID
// in its text form (which is a single URL path segment).
const ActorIDPlaceholder = "{actor_id}"

// ErrNoEndpoint: no enabled wire kind knows how to reach the peer.
var ErrNoEndpoint = errors.New("wire: no endpoint for the peer")

// WebSocketConfig configures the WebSocket wires of a DefaultWireBuilder.
type WebSocketConfig struct {
	// Enabled turns WebSocket wires on.
	Enabled bool
	// URLTemplate is the peer's gate URL with ActorIDPlaceholder in it,
	// e.g. "ws://gateway.example:9000/actr/{actor_id}".
	URLTemplate string
	// Resolve, when set, gives the gate URL of one peer (service
	// discovery, a directory, static config) and takes precedence over
	// URLTemplate. An empty URL and nil error mean the peer has no
	// WebSocket endpoint.
	Resolve func(ctx context.Context, peer protocol.ActorID) (string, error)
	// Dialer makes the connections; its Local must be the builder's
	// local actor. Required when Enabled.
	Dialer *websocket.Dialer
}

// WebRTCConfig configures the WebRTC wires of a DefaultWireBuilder.
type WebRTCConfig struct {
	// Enabled turns WebRTC wires on.
	Enabled bool
	// Coordinator makes the connections (one per peer), signalling
	// through the node's signaling client. Required when Enabled.
	Coordinator *webrtc.Coordinator
}

// Config configures a DefaultWireBuilder. With both kinds enabled, every
// actor destination gets a WebRTC wire and, if it has a WebSocket
// endpoint, a WebSocket wire; the pool dials both at once and the default
// routes prefer WebRTC.
type Config struct {
	WebRTC    WebRTCConfig
	WebSocket WebSocketConfig
}

// DefaultWireBuilder is the WireBuilder of a node.
type DefaultWireBuilder struct {
	cfg Config
}

// NewDefaultWireBuilder checks cfg and returns a builder.
func NewDefaultWireBuilder(cfg Config) (*DefaultWireBuilder, error) {
	ws := cfg.WebSocket
	if ws.Enabled {
		if ws.Dialer == nil {
			return nil, errors.New("wire: WebSocket is enabled but WebSocketConfig.Dialer is nil")
		}
		if ws.Resolve == nil && !strings.Contains(ws.URLTemplate, ActorIDPlaceholder) {
			return nil, fmt.Errorf("wire: WebSocketConfig.URLTemplate %q has no %s placeholder and there is no Resolve", ws.URLTemplate, ActorIDPlaceholder)
		}
	}
	if cfg.WebRTC.Enabled && cfg.WebRTC.Coordinator == nil {
		return nil, errors.New("wire: WebRTC is enabled but WebRTCConfig.Coordinator is nil")
	}
	if !ws.Enabled && !cfg.WebRTC.Enabled {
		return nil, errors.New("wire: no wire kind is enabled")
	}
	return &DefaultWireBuilder{cfg: cfg}, nil
}

// Build implements transport.WireBuilder.
func (b *DefaultWireBuilder) Build(ctx context.Context, req transport.BuildRequest) ([]transport.Wire, error) {
	peer, ok := req.Dest.ActorID()
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an actor", transport.ErrInvalidDest, req.Dest)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wire: building wires to %s: %w", peer, err)
	}
	var wires []transport.Wire
	var errs []error
	if rtc := b.cfg.WebRTC; rtc.Enabled && req.Wants(transport.WireWebRTC) {
		wires = append(wires, rtc.Coordinator.Wire(peer, req.Inbound, req.Events))
	}
	if ws := b.cfg.WebSocket; ws.Enabled && req.Wants(transport.WireWebSocket) {
		url, err := b.websocketURL(ctx, peer)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("resolving the WebSocket endpoint of %s: %w", peer, err))
		case url != "":
			wires = append(wires, ws.Dialer.Conn(url, peer, req.Inbound))
		}
	}
	if len(wires) == 0 {
		if len(errs) > 0 {
			return nil, fmt.Errorf("%w %s: %w", ErrNoEndpoint, peer, errors.Join(errs...))
		}
		return nil, fmt.Errorf("%w %s: configure a URL template or resolver for an enabled wire kind", ErrNoEndpoint, peer)
	}
	return wires, nil
}

func (b *DefaultWireBuilder) websocketURL(ctx context.Context, peer protocol.ActorID) (string, error) {
	ws := b.cfg.WebSocket
	if ws.Resolve != nil {
		return ws.Resolve(ctx, peer)
	}
	return strings.ReplaceAll(ws.URLTemplate, ActorIDPlaceholder, peer.String()), nil
}
