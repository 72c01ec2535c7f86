// Package turnserver is actr's STUN and TURN server (pion/turn): the relay
// nodes fall back to when NATs keep them from reaching each other
// directly, run beside the signaling server (actr signal --turn-listen) or
// on its own (actr turn).
//
// It takes the time-limited TURN REST credentials the signaling server
// hands each actor at registration (auth.NewTURNCredential: user name
// "<expires_at>:<actor_id>", password base64(HMAC-SHA1(secret, user
// name))), so the two share one secret and no state. Every request is
// checked for expiry, for the HMAC (the message integrity pion checks with
// the key derived from it) and for the actor's realm (Config.Realms).
//
// What one actor may cost the server is bounded: allocations per actor
// and in all, bytes per second per allocation (over it, datagrams are
// dropped, as a congested link would), and an allocation's lifetime
// (refreshes past Config.MaxAllocationAge are refused). Every refusal is
// counted (Counters) and exported to Prometheus (NewCollector).
package turnserver
