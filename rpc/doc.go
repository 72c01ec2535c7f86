// Package rpc is request/reply over the transport, as actr's RpcEnvelope:
// calls, tells, typed services and data-chunk streams between actors.
//
// An Endpoint is both sides of one actor. It is the node's inbound
// handler, and sends through the node once bound:
//
//	n, ep, err := rpc.StartNode(ctx, nodeConfig, rpc.Config{})
//	ep.HandleFunc("acme.Echo.Say", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
//		return req.Payload, nil
//	})
//	resp, err := ep.Call(ctx, peer, "acme.Echo.Say", []byte("hi"))
//
// (or rpc.New, node.Config.Handler = ep, node.Start, ep.Bind(n)).
//
// # On the wire
//
// A call is one RpcEnvelope with direction REQUEST, a fresh request_id,
// timeout_ms from ctx's deadline (Config.DefaultTimeout without one: actr
// requires timeout_ms > 0), traceparent/tracestate from WithTraceContext,
// and metadata (WithMetadata); it goes on RPC_RELIABLE, or RPC_SIGNAL with
// OnLane. The response comes back on the same lane, direction RESPONSE,
// the same request_id, and either the payload or an ErrorResponse
// {code, message}; a tell is direction TELL and is never answered.
// Streams are DataChunk messages (stream_id, sequence) on STREAM_RELIABLE
// or STREAM_LATENCY_FIRST. docs/PROTOCOL.md has the field-by-field usage.
//
// # Errors
//
// A handler's error reaches the caller as an [*Error] (errors.As) with its
// code: the handler's own ([Errorf]), or [CodeInternal] for a plain error.
// The endpoint answers by itself with [CodeUnknownRoute], [CodeBadRequest]
// (undecodable or incomplete requests), [CodeOverloaded] (handler limits)
// and [CodeHandlerPanic]; errors.Is(err, rpc.CodeUnknownRoute) tests a
// code. Local failures are sentinels: [ErrTooManyCalls], [ErrClosed],
// [ErrNotBound], and ctx's own errors when a call's deadline passes or it
// is cancelled.
//
// # What is never done (DESIGN F15)
//
// A response is matched to a call in flight by request_id and by the peer
// that sent it; one that matches none (its call cancelled, timed out,
// answered already, never made, or made to another peer) is dropped and
// counted (Stats.Orphans, actr_rpc_dropped_total{reason="orphan_response"}),
// never served as a request. An envelope with a missing or unknown
// direction is dropped and counted (actr's rule); only REQUEST and TELL
// run handlers.
//
// # Concurrency and limits
//
// The transport serves each peer's lane sequentially, so handlers do not
// run on its goroutine: each request gets a goroutine of its own, bounded
// by Config.MaxHandlersPerPeer and MaxHandlers (beyond: CodeOverloaded at
// once), so a slow route holds up no other. Calls in flight to one peer
// are bounded by Config.MaxCallsPerPeer. A handler may answer later from
// another goroutine (Request.Later). Close waits for every handler.
package rpc
