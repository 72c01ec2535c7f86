// Package transporttest is an in-memory fabric for testing code built on
// package transport: a [Network] of nodes, a [Builder] that makes in-memory
// [Wire]s between them, and fault hooks — fail the next N builds or
// connects, hold a build or a connect until released, delay connects, drop
// or stall a wire now.
//
// A node served by an [Acceptor] (an *transport.OutprocManager is one)
// adopts the far end of every wire dialled to it, so replies travel back on
// the same wire, as with a real gate. A node nobody serves records what it
// receives; read it with [Node.Messages] or wait for it with
// [Node.WaitMessages].
package transporttest
