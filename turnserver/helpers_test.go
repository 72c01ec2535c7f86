package turnserver_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/turnserver"
)

var testSecret = []byte("0123456789abcdef-test-secret")

func actor(realm uint32, serial uint64) protocol.ActorID {
	return protocol.ActorID{Realm: realm, Serial: serial, Manufacturer: "acme", Name: "echo", Version: "0"}
}

// startServer serves TURN on 127.0.0.1 (UDP and TCP, one port each),
// relaying on 127.0.0.1; closed at the test's end.
func startServer(t *testing.T, cfg turnserver.Config) *turnserver.Server {
	t.Helper()
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	cfg.RelayIP = net.IPv4(127, 0, 0, 1)
	cfg.AllowLoopbackPeers = true
	s, err := turnserver.Listen(cfg, turnserver.Addrs{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// allocate asks s for a relay with the given credential over UDP: the
// relay's conn, or the error.
func allocate(t *testing.T, s *turnserver.Server, user, pass string) (net.PacketConn, error) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: s.UDPAddr().String(), STUNServerAddr: s.UDPAddr().String(),
		Username: user, Password: pass, Realm: s.Realm(), Conn: pc, LoggerFactory: lf,
		RTO: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); _ = pc.Close() })
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	relay, err := c.AllocateWithContext(ctx)
	if err == nil {
		t.Cleanup(func() { _ = relay.Close() })
	}
	return relay, err
}

func credFor(id protocol.ActorID, exp time.Time) (string, string) {
	tc := auth.NewTURNCredential(testSecret, id, exp)
	return tc.GetUsername(), tc.GetPassword()
}
