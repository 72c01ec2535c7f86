// Package natscluster joins signaling servers into one realm over NATS:
// it implements signaling.Cluster.
//
// State every server must agree on lives in JetStream key-value buckets
// (replicated across the NATS cluster): the directory of online actors
// (which server holds each one's connection), the servers' public
// signing keys, and the next free block of serial numbers. Relays go over
// core NATS request/reply, to a subject of the target's server, so the
// sender gets the target server's answer. Presence events are the
// directory's own changes, seen through a watch: an actor's up and down
// events then can never disagree with the directory, nor arrive in
// another order than its entries changed.
//
// Servers publish a heartbeat every second. One not heard for five
// seconds is dead: the survivors drop its actors from their view, with
// down events, and delete its directory entries (on the revision they
// saw, so an actor that has since moved to a live server keeps its
// entry). A server leaving with Close withdraws its own entries first;
// CloseNow leaves as a crash would.
//
// Everything read from NATS is untrusted: each decoder (codec.go) bounds
// its input and checks every field; FuzzCodec drives them all.
//
// Embedded runs a NATS server (with JetStream) in the process, so that a
// cluster of actr signal processes needs nothing else.
package natscluster
