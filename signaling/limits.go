package signaling

import "time"

// Limits bound what one client, one remote address or one actor can make
// the server hold or do. A zero field takes its default. Every refusal is
// counted (ServerCounters.Refused, Disconnected).
type Limits struct {
	// MaxConns caps open connections in all (default 10,000); beyond it a
	// new connection is answered 503 and closed. MaxConnsPerAddr caps
	// them per remote IP address (default 256; 429). Both count TCP
	// connections at accept when the server owns the listener (Listen),
	// so connections that never send their HTTP request count too; an
	// embedding http.Server is counted at ServeHTTP.
	MaxConns        int
	MaxConnsPerAddr int
	// HeaderTimeout bounds the wait for the HTTP upgrade request of a new
	// TCP connection (default 5 s; Listen only).
	HeaderTimeout time.Duration
	// RegisterTimeout closes an upgraded connection that has neither
	// registered nor presented a valid credential this long after the
	// upgrade (default 10 s).
	RegisterTimeout time.Duration
	// PingInterval is how often the server pings each connection (default
	// 15 s); one not answered within PingTimeout (default 10 s) is closed.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// WriteTimeout bounds the write of one envelope to a client (default
	// 10 s): a client that does not read is dropped, not buffered for.
	WriteTimeout time.Duration
	// SendBudget bounds the bytes held for one connection, queued or
	// being written (default 32 KiB). Relays from other actors and
	// rate-limit refusals may fill three quarters of it: a relay that
	// does not fit is refused to its sender (503; 413 when it could never
	// fit), so nobody can get a client dropped by relaying to it. The rest
	// is kept for the server's own answers and events; one of those that
	// does not fit closes the connection, which has fallen too far behind
	// to be consistent.
	SendBudget int
	// AddrRateLimit and AddrRateBurst bound the envelopes per second of
	// all connections from one remote IP address together (default
	// 1,000/s, burst 2,000), so opening connections does not multiply
	// RateLimit.
	AddrRateLimit float64
	AddrRateBurst int
	// RegisterRate and RegisterBurst bound the registrations per second
	// from one remote IP address (default 20/s, burst 100).
	RegisterRate  float64
	RegisterBurst int
	// MaxSubscriptions caps the presence subscriptions of one actor
	// (default 64).
	MaxSubscriptions int
	// MaxTypeName caps the bytes of a type's manufacturer and of its name
	// wherever a type is accepted (default 128).
	MaxTypeName int
	// MaxAnswer caps the entries of a discovery or route-candidates
	// answer (default 64), whatever limit the request asks for; with
	// MaxTypeName it keeps an answer well inside SendBudget.
	MaxAnswer int
	// MaxRegisterBody caps the body of an HTTP registration or renewal
	// (default 64 KiB; 413).
	MaxRegisterBody int
	// MaxWSAddress caps the bytes of a registered WebSocket gate URL
	// (register_request.ws_address; default 512).
	MaxWSAddress int
	// SecretFreeFailures failed realm secrets from one address are
	// forgiven (default 3); each further one locks the address out of
	// secret registrations for SecretLockout (default 1 s), doubled per
	// failure up to SecretLockoutMax (default 5 min). Failures are
	// forgotten after SecretLockoutMax without one.
	SecretFreeFailures int
	SecretLockout      time.Duration
	SecretLockoutMax   time.Duration
}

func (l *Limits) defaults() {
	setDefault(&l.MaxConns, 10_000)
	setDefault(&l.MaxConnsPerAddr, 256)
	setDefault(&l.HeaderTimeout, 5*time.Second)
	setDefault(&l.RegisterTimeout, 10*time.Second)
	setDefault(&l.PingInterval, 15*time.Second)
	setDefault(&l.PingTimeout, 10*time.Second)
	setDefault(&l.WriteTimeout, 10*time.Second)
	setDefault(&l.SendBudget, 32<<10)
	setDefault(&l.AddrRateLimit, 1000)
	setDefault(&l.AddrRateBurst, 2000)
	setDefault(&l.RegisterRate, 20)
	setDefault(&l.RegisterBurst, 100)
	setDefault(&l.MaxSubscriptions, 64)
	setDefault(&l.MaxTypeName, 128)
	setDefault(&l.MaxAnswer, 64)
	setDefault(&l.MaxRegisterBody, 64<<10)
	setDefault(&l.MaxWSAddress, 512)
	setDefault(&l.SecretFreeFailures, 3)
	setDefault(&l.SecretLockout, time.Second)
	setDefault(&l.SecretLockoutMax, 5*time.Minute)
}

func setDefault[T int | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
