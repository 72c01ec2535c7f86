package main

import (
	"time"

	"github.com/actr-go/actr/signaling"
)

// signalLimits are the `actr signal` flags for the server's limits on
// hostile or broken clients; zero keeps the server's default.
type signalLimits struct {
	signaling.Limits
	rate float64
}

func limitFlags(f *flags) *signalLimits {
	l := &signalLimits{}
	f.IntVar(&l.MaxConns, "max-conns", 10_000, "open connections in all; beyond it new ones are refused (503)")
	f.IntVar(&l.MaxConnsPerAddr, "max-conns-per-addr", 256, "open connections per remote IP address; beyond it refused (429)")
	f.DurationVar(&l.RegisterTimeout, "register-timeout", 10*time.Second, "a connection must register or present a credential this soon after connecting")
	f.DurationVar(&l.PingInterval, "ping-interval", 15*time.Second, "how often the server pings each connection")
	f.DurationVar(&l.PingTimeout, "ping-timeout", 10*time.Second, "a ping not answered this soon closes the connection")
	f.DurationVar(&l.WriteTimeout, "write-timeout", 10*time.Second, "a client that does not take one envelope this soon is dropped")
	f.IntVar(&l.SendBudget, "send-budget", 32<<10, "bytes queued for one connection; relays beyond three quarters of it are refused (503)")
	f.Float64Var(&l.rate, "rate", 200, "envelopes per second per connection and per actor (burst twice as many)")
	f.Float64Var(&l.AddrRateLimit, "addr-rate", 1000, "envelopes per second per remote IP address, all its connections together (burst twice as many)")
	f.Float64Var(&l.RegisterRate, "register-rate", 20, "registrations per second per remote IP address (burst 5 s worth)")
	f.IntVar(&l.MaxSubscriptions, "max-subscriptions", 64, "presence subscriptions per actor")
	return l
}

// apply derives the bursts from the rates the flags set.
func (l *signalLimits) apply() {
	if l.AddrRateLimit > 0 {
		l.AddrRateBurst = int(2 * l.AddrRateLimit)
	}
	if l.RegisterRate > 0 {
		l.RegisterBurst = int(5 * l.RegisterRate)
	}
}
