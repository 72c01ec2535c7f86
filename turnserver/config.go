package turnserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5"
)

// Defaults of Config.
const (
	DefaultRealm                  = "actr"
	DefaultMaxAllocationsPerActor = 8
	DefaultMaxAllocations         = 10_000
	DefaultAllocationBandwidth    = 4 << 20 // bytes/s per allocation and direction
	DefaultAllocationLifetime     = 10 * time.Minute
	DefaultMaxAllocationAge       = 24 * time.Hour
)

// ErrNoSecret is returned by Start without Config.Secret.
var ErrNoSecret = errors.New("turnserver: no shared secret: give the TURN server the secret the signaling server mints credentials with (actr signal/turn --turn-secret-file, or ACTR_TURN_SECRET)")

// ErrNoRelayIP is returned by Start without Config.RelayIP.
var ErrNoRelayIP = errors.New("turnserver: no relay address: give the public IP address peers reach the relay at (--turn-public-ip)")

// Config configures a Server.
type Config struct {
	// Secret is the TURN REST shared secret (at least 16 bytes).
	Secret []byte
	// Realm is the TURN realm (the REALM attribute; default "actr").
	Realm string
	// Realms are the actr realms whose actors may allocate relays; empty:
	// every realm. An actor's realm is the one its credential's user name
	// names, which the HMAC vouches for.
	Realms []uint32
	// RelayIP is the address relay candidates name: the server's public
	// address. RelayBind is the address relay sockets bind (default
	// "0.0.0.0", or RelayIP with Net).
	RelayIP   net.IP
	RelayBind string
	// RelayPortMin and RelayPortMax, when set, bound the UDP ports of
	// relays (the range to open in a firewall); default: any free port.
	RelayPortMin, RelayPortMax uint16
	// Net, when set, replaces the operating system's network for relay
	// sockets (pion's vnet in tests).
	Net transport.Net

	// MaxAllocationsPerActor and MaxAllocations cap live allocations of
	// one actor and in all (beyond: 486 Allocation Quota Reached).
	MaxAllocationsPerActor int
	MaxAllocations         int
	// AllocationBandwidth caps the bytes per second each allocation
	// relays in each direction, with a burst of one second's worth; the
	// datagrams beyond are dropped and counted (default
	// DefaultAllocationBandwidth; negative: no cap).
	AllocationBandwidth int
	// AllocationLifetime is the lifetime of an allocation between
	// refreshes (default 10 minutes; a client may ask for less, or up to
	// an hour). MaxAllocationAge refuses refreshes of an allocation this
	// old, so none lives longer than that plus one lifetime (default
	// 24 h). A refresh also needs an unexpired credential.
	AllocationLifetime time.Duration
	MaxAllocationAge   time.Duration
	// AllowLoopbackPeers lets relays send to loopback addresses (tests on
	// one machine); by default a permission for a loopback, unspecified
	// or multicast peer is refused, so the relay cannot be turned on the
	// server's own host.
	AllowLoopbackPeers bool

	// Logger receives refusals at debug level, and pion's own logs at
	// warn and above (default: discard). PionLogger, when set, replaces
	// the latter.
	Logger     *slog.Logger
	PionLogger logging.LoggerFactory
}

func (c Config) withDefaults() (Config, error) {
	if len(c.Secret) == 0 {
		return c, ErrNoSecret
	}
	if len(c.Secret) < 16 {
		return c, fmt.Errorf("turnserver: the shared secret is %d bytes: use at least 16 random bytes", len(c.Secret))
	}
	if c.RelayIP == nil || c.RelayIP.IsUnspecified() {
		return c, ErrNoRelayIP
	}
	if (c.RelayPortMin == 0) != (c.RelayPortMax == 0) || c.RelayPortMin > c.RelayPortMax {
		return c, errors.New("turnserver: set both RelayPortMin and RelayPortMax, with RelayPortMin <= RelayPortMax (--turn-relay-ports 49152-65535)")
	}
	if c.Realm == "" {
		c.Realm = DefaultRealm
	}
	if c.RelayBind == "" {
		c.RelayBind = "0.0.0.0"
		if c.Net != nil || c.RelayIP.IsLoopback() {
			c.RelayBind = c.RelayIP.String()
		}
	}
	if c.MaxAllocationsPerActor <= 0 {
		c.MaxAllocationsPerActor = DefaultMaxAllocationsPerActor
	}
	if c.MaxAllocations <= 0 {
		c.MaxAllocations = DefaultMaxAllocations
	}
	if c.AllocationBandwidth == 0 {
		c.AllocationBandwidth = DefaultAllocationBandwidth
	}
	if c.AllocationLifetime <= 0 {
		c.AllocationLifetime = DefaultAllocationLifetime
	}
	if c.MaxAllocationAge <= 0 {
		c.MaxAllocationAge = DefaultMaxAllocationAge
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PionLogger == nil {
		lf := logging.NewDefaultLoggerFactory()
		lf.DefaultLogLevel = logging.LogLevelDisabled
		c.PionLogger = lf
	}
	return c, nil
}
