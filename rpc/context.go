package rpc

import (
	"context"

	"github.com/actr-go/actr/protocol"
)

// Metadata is an envelope's metadata entries, in order (keys may repeat,
// as in actr's repeated MetadataEntry).
type Metadata []MetadataEntry

// MetadataEntry is one key/value of Metadata.
type MetadataEntry struct{ Key, Value string }

// Get returns the first value of key, and whether there was one.
func (md Metadata) Get(key string) (string, bool) {
	for _, e := range md {
		if e.Key == key {
			return e.Value, true
		}
	}
	return "", false
}

func (md Metadata) proto() []*protocol.MetadataEntry {
	if len(md) == 0 {
		return nil
	}
	out := make([]*protocol.MetadataEntry, len(md))
	for i, e := range md {
		out[i] = &protocol.MetadataEntry{Key: &e.Key, Value: &e.Value}
	}
	return out
}

func metadataFromProto(in []*protocol.MetadataEntry) Metadata {
	if len(in) == 0 {
		return nil
	}
	md := make(Metadata, len(in))
	for i, e := range in {
		md[i] = MetadataEntry{Key: e.GetKey(), Value: e.GetValue()}
	}
	return md
}

// TraceContext is W3C trace context (https://www.w3.org/TR/trace-context/)
// header values, verbatim.
type TraceContext struct{ Traceparent, Tracestate string }

type traceKey struct{}

// WithTraceContext returns ctx carrying tc; Call and Tell put it in their
// envelopes, and a handler's ctx carries the caller's.
func WithTraceContext(ctx context.Context, tc TraceContext) context.Context {
	return context.WithValue(ctx, traceKey{}, tc)
}

// TraceContextFrom returns the trace context ctx carries.
func TraceContextFrom(ctx context.Context) (TraceContext, bool) {
	tc, ok := ctx.Value(traceKey{}).(TraceContext)
	return tc, ok
}

// CallInfo is what a handler's ctx says about the call it serves.
type CallInfo struct {
	// From is the calling actor, as its wire authenticated it.
	From protocol.ActorID
	// Route is the route key, RequestID the caller's id of the call ("" for
	// a tell).
	Route, RequestID string
	// Metadata is the caller's metadata.
	Metadata Metadata
	// Lane is the payload type the request came on (its reply goes back on
	// it).
	Lane protocol.PayloadType
	// Tell is true for a DIRECTION_TELL (never answered).
	Tell bool
}

type callInfoKey struct{}

// CallInfoFrom returns the call a handler's ctx serves.
func CallInfoFrom(ctx context.Context) (CallInfo, bool) {
	ci, ok := ctx.Value(callInfoKey{}).(*CallInfo)
	if !ok {
		return CallInfo{}, false
	}
	return *ci, true
}

// CallerFrom returns the calling actor of a handler's ctx.
func CallerFrom(ctx context.Context) (protocol.ActorID, bool) {
	ci, ok := ctx.Value(callInfoKey{}).(*CallInfo)
	if !ok {
		return protocol.ActorID{}, false
	}
	return ci.From, true
}
