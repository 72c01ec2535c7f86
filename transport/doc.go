// Package transport moves messages between actors in different processes.
//
// An [OutprocManager] owns one [DestTransport] per destination actor. The first
// [OutprocManager.Send] to a destination dials it lazily, exactly once however
// many goroutines race to it: the manager asks its [WireBuilder] for every
// [Wire] the peer offers (a WebRTC DataChannel, a WebSocket, …), a [WirePool]
// connects them all at once with exponential backoff, and each message takes
// the best ready [Lane] for its payload type according to the [RouteTable],
// falling back transparently when a better wire is not ready.
//
// # Lifecycle of a destination
//
// An entry for a destination moves from absent to Connecting (the
// [WireBuilder] is running) to Connected (a [DestTransport] exists; its wires
// may still be connecting). The dial belongs to the entry, not to the caller
// that happened to start it: a caller whose context ends stops waiting, but
// the dial goes on for the other waiters. Only [OutprocManager.CloseTransport],
// [OutprocManager.Close] or the dial timeout cancel it.
//
// A transport whose wires have all failed is removed (the ready monitor), and
// the next Send dials again. The optional health checker
// ([OutprocManager.StartHealthChecker]) also re-dials only the wires that
// failed while others stay up.
//
// Every transport and wire carries an identity; cleanup paths remove an
// entry only if it still holds the very transport or wire they examined, so
// a stale cleanup never tears down a newer connection.
//
// # Inbound messages
//
// Wires deliver what they receive to an [Inbound] given to them when they are
// built ([BuildRequest]) or by the code that adopts them
// ([OutprocManager.Adopt]). The manager keeps a queue per peer and payload
// type, bounded in messages and, per peer and in all, in bytes
// ([InboundLimits]): a slow consumer of bulk streams does not hold up
// signalling traffic, and a peer that floods, or whose handler calls block,
// holds up only itself. A bounded pool of workers runs the [Handler], each
// queue in order, the queues taking turns.
//
// # Lock order
//
// OutprocManager.mu before WirePool.mu before the event bus lock. No lock is
// held while calling a Wire, a Lane, a WireBuilder or a Handler, nor across a
// channel send that can block.
//
// # Errors
//
// Errors can be tested with [errors.Is] against the sentinels of this package
// ([ErrNoRoute], [ErrInvalidDest], [ErrClosing], [ErrClosed], [ErrTimeout],
// [ErrConnectFailed], [ErrMessageTooLarge], [ErrLaneClosed], …) and unpacked
// with [errors.As] into [*ConnectError], [*NoRouteError] and
// [*MessageTooLargeError].
package transport
