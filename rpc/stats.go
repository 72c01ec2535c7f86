package rpc

import "sync/atomic"

// dropReason is why an inbound message was dropped.
type dropReason int

const (
	dropUndecodable   dropReason = iota // not an RpcEnvelope / DataChunk
	dropNoDirection                     // envelope without a (known) direction
	dropOrphan                          // response to no call in flight (cancelled, timed out, never made, or from another peer)
	dropUnanswerable                    // a request without a usable request_id, or a bad tell
	dropNotRPC                          // a payload type this package does not serve
	dropRefused                         // a tell refused: unknown route, overload, or the endpoint closed
	dropStreamLate                      // a chunk older than one delivered already
	dropStreamRefused                   // a chunk of a new stream when the stream table is full, or with no handler
	dropReasons
)

var dropNames = [dropReasons]string{"undecodable", "no_direction", "orphan_response", "unanswerable", "not_rpc", "tell_refused", "stream_late", "stream_refused"}

func (r dropReason) String() string { return dropNames[r] }

// fallsBack says whether Config.Fallback gets such messages: only those
// that are not envelopes or chunks at all.
func (r dropReason) fallsBack() bool {
	return r == dropUndecodable || r == dropNoDirection || r == dropNotRPC || r == dropStreamRefused
}

type counters struct {
	dropped                                                      [dropReasons]atomic.Uint64
	badRequests, unknownRoutes, overloaded, panics, sendFailures atomic.Uint64
	streamMissed                                                 atomic.Uint64
}

// Stats is what an Endpoint counted.
type Stats struct {
	// CallsInFlight and HandlersInFlight are the calls waiting for their
	// response and the requests being handled (or waiting for a later
	// reply) now.
	CallsInFlight, HandlersInFlight int
	// Orphans are responses that answered no call in flight: its caller
	// gave up (cancelled, timed out), it was answered already, it never
	// existed, or another peer than the callee sent it. Dropped, never
	// taken as a request (DESIGN F15).
	Orphans uint64
	// NoDirection are envelopes with a missing or unknown direction,
	// dropped (actr's rule); Undecodable are RPC-lane messages that are
	// not envelopes at all.
	NoDirection, Undecodable uint64
	// Unanswerable are requests that could not even be refused (no
	// request_id); TellsRefused are tells with no handler, or that found
	// no handler slot within Config.TellWait.
	Unanswerable, TellsRefused uint64
	// BadRequests, UnknownRoutes, Overloaded and Panics are requests
	// answered with CodeBadRequest, CodeUnknownRoute, CodeOverloaded and
	// CodeHandlerPanic.
	BadRequests, UnknownRoutes, Overloaded, Panics uint64
	// SendFailures are responses that could not be sent (the caller gone,
	// the endpoint closing).
	SendFailures uint64
	// StreamLate are chunks dropped for arriving after a later one of
	// their stream; StreamMissed the sequence numbers skipped (gaps)
	// over every stream; StreamRefused the chunks that found no stream
	// handler set.
	StreamLate, StreamMissed, StreamRefused uint64
}

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() Stats {
	e.mu.Lock()
	calls, handlers := len(e.calls), e.handlers
	e.mu.Unlock()
	d := func(r dropReason) uint64 { return e.st.dropped[r].Load() }
	return Stats{CallsInFlight: calls, HandlersInFlight: handlers,
		Orphans: d(dropOrphan), NoDirection: d(dropNoDirection), Undecodable: d(dropUndecodable),
		Unanswerable: d(dropUnanswerable), TellsRefused: d(dropRefused),
		BadRequests: e.st.badRequests.Load(), UnknownRoutes: e.st.unknownRoutes.Load(), Overloaded: e.st.overloaded.Load(),
		Panics: e.st.panics.Load(), SendFailures: e.st.sendFailures.Load(),
		StreamLate: d(dropStreamLate), StreamMissed: e.st.streamMissed.Load(), StreamRefused: d(dropStreamRefused)}
}
