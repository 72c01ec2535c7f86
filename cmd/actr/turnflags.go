package main

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/turnserver"
)

// turnFlags are the TURN server's flags: prefixed "turn-" in actr signal,
// bare in actr turn.
type turnFlags struct {
	prefix              string
	listen, tlsListen   string
	publicIP, host      string
	secretFile          string
	realms              string
	urls                string
	perActor, maxAllocs int
	bandwidth           int
	lifetime, maxAge    time.Duration
	noUDP, noTCP        bool
	allowLoopbackPeers  bool
	relayPorts          string
}

func addTURNFlags(f *flags, prefix, listenDefault string) *turnFlags {
	t := &turnFlags{prefix: prefix}
	f.StringVar(&t.listen, prefix+"listen", listenDefault, "serve STUN and TURN on this address, over UDP and TCP (3478 by convention)")
	f.StringVar(&t.tlsListen, prefix+"tls-listen", "", "serve TURN over TLS (turns:) on this address; needs --tls-cert and --tls-key (actr signal with a certificate: the --turn-listen host, port 5349, unless \"none\")")
	f.StringVar(&t.publicIP, prefix+"public-ip", "", "the public IP address relays are reached at (default: the listen address's, if it names one)")
	f.StringVar(&t.host, prefix+"host", "", "the host name or address put in the URLs handed to actors (default: the public IP; a turns: URL needs the certificate's name)")
	f.StringVar(&t.secretFile, prefix+"secret-file", "", "file holding the TURN REST secret shared with the signaling server (or ACTR_TURN_SECRET); actr signal makes one up when it runs the TURN server itself")
	f.StringVar(&t.realms, prefix+"realms", "", "comma-separated actr realms whose actors may allocate relays (default: every realm)")
	f.IntVar(&t.perActor, prefix+"max-allocations-per-actor", turnserver.DefaultMaxAllocationsPerActor, "live relay allocations per actor (486 beyond)")
	f.IntVar(&t.maxAllocs, prefix+"max-allocations", turnserver.DefaultMaxAllocations, "live relay allocations in all")
	f.IntVar(&t.bandwidth, prefix+"bandwidth", turnserver.DefaultAllocationBandwidth, "bytes per second each allocation relays in each direction, beyond which datagrams are dropped (-1: no cap)")
	f.DurationVar(&t.lifetime, prefix+"lifetime", turnserver.DefaultAllocationLifetime, "allocation lifetime between refreshes")
	f.DurationVar(&t.maxAge, prefix+"max-age", turnserver.DefaultMaxAllocationAge, "refreshes of an allocation this old are refused")
	f.StringVar(&t.relayPorts, prefix+"relay-ports", "", "UDP port range of relays, MIN-MAX (e.g. 49152-65535: the range to open in the firewall; default: any free port)")
	f.BoolVar(&t.noUDP, prefix+"no-udp", false, "do not serve STUN/TURN over UDP")
	f.BoolVar(&t.noTCP, prefix+"no-tcp", false, "do not serve TURN over TCP")
	f.BoolVar(&t.allowLoopbackPeers, prefix+"allow-loopback-peers", false, "let relays send to loopback addresses (one-machine tests only)")
	return t
}

// addURLFlag adds the flag naming the URLs actors are told of.
func (t *turnFlags) addURLFlag(f *flags) {
	f.StringVar(&t.urls, t.prefix+"url", "", "comma-separated stun:/turn:/turns: URLs handed to actors at registration (default: derived from --turn-listen and --turn-tls-listen); with a TURN server run elsewhere (actr turn), name it here and give --turn-secret-file")
}

// secret reads the shared secret from the file or ACTR_TURN_SECRET; with
// neither and generate, it makes one up (the TURN server and the
// signaling server are then one process).
func (t *turnFlags) secret(generate bool) ([]byte, error) {
	if t.secretFile != "" {
		b, err := os.ReadFile(t.secretFile)
		if err != nil {
			return nil, fmt.Errorf("reading the TURN secret: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if len(s) < 16 {
			return nil, usageError("the TURN secret in %s is %d bytes: use at least 16 (e.g. head -c 32 /dev/urandom | base64 > %s)", t.secretFile, len(s), t.secretFile)
		}
		return []byte(s), nil
	}
	if s := os.Getenv("ACTR_TURN_SECRET"); s != "" {
		if len(s) < 16 {
			return nil, usageError("ACTR_TURN_SECRET is %d bytes: use at least 16", len(s))
		}
		return []byte(s), nil
	}
	if !generate {
		return nil, usageError("a TURN secret is needed: --%ssecret-file FILE or ACTR_TURN_SECRET, the same the signaling server is given", t.prefix)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return []byte(fmt.Sprintf("%x", b)), nil
}

// config is the TURN server's configuration.
func (t *turnFlags) config(secret []byte, log *slog.Logger) (turnserver.Config, error) {
	cfg := turnserver.Config{Secret: secret, MaxAllocationsPerActor: t.perActor, MaxAllocations: t.maxAllocs,
		AllocationBandwidth: t.bandwidth, AllocationLifetime: t.lifetime, MaxAllocationAge: t.maxAge,
		AllowLoopbackPeers: t.allowLoopbackPeers, Logger: log.With("layer", "turn")}
	if t.relayPorts != "" {
		lo, hi, ok := strings.Cut(t.relayPorts, "-")
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if !ok || err1 != nil || err2 != nil || a == 0 || a > b {
			return cfg, usageError("--%srelay-ports %q: want MIN-MAX, e.g. 49152-65535", t.prefix, t.relayPorts)
		}
		cfg.RelayPortMin, cfg.RelayPortMax = uint16(a), uint16(b)
	}
	ip, err := t.relayIP()
	if err != nil {
		return cfg, err
	}
	cfg.RelayIP = ip
	for _, r := range strings.Split(t.realms, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		n, err := strconv.ParseUint(r, 10, 32)
		if err != nil {
			return cfg, usageError("--%srealms: %q is not a realm number", t.prefix, r)
		}
		cfg.Realms = append(cfg.Realms, uint32(n))
	}
	return cfg, nil
}

func (t *turnFlags) relayIP() (net.IP, error) {
	if t.publicIP != "" {
		ip := net.ParseIP(t.publicIP)
		if ip == nil || ip.IsUnspecified() {
			return nil, usageError("--%spublic-ip %q is not an IP address", t.prefix, t.publicIP)
		}
		return ip, nil
	}
	host, _, err := net.SplitHostPort(t.listen)
	if ip := net.ParseIP(host); err == nil && ip != nil && !ip.IsUnspecified() {
		return ip, nil
	}
	return nil, usageError("--%slisten %q names no address: give --%spublic-ip, the address peers reach the relay at", t.prefix, t.listen, t.prefix)
}

// start listens and starts the TURN server.
func (t *turnFlags) start(cfg turnserver.Config, tlsCfg *tls.Config) (*turnserver.Server, error) {
	if t.tlsListen != "" && tlsCfg == nil {
		return nil, usageError("--%stls-listen needs a certificate: --tls-cert and --tls-key", t.prefix)
	}
	s, err := turnserver.Listen(cfg, turnserver.Addrs{Listen: t.listen, TLSListen: t.tlsListen, TLS: tlsCfg, NoUDP: t.noUDP, NoTCP: t.noTCP})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// announced are the URLs actors are handed: --turn-url, or those of the
// server s (the ports it bound).
func (t *turnFlags) announced(s *turnserver.Server, relayIP net.IP) ([]string, error) {
	if t.urls != "" {
		var out []string
		for _, u := range strings.Split(t.urls, ",") {
			if u = strings.TrimSpace(u); u == "" {
				continue
			}
			if err := signaling.CheckICEURL(u); err != nil {
				return nil, usageError("--%surl: %v", t.prefix, err)
			}
			out = append(out, u)
		}
		return out, nil
	}
	if s == nil {
		return nil, nil
	}
	host := t.host
	if host == "" {
		host = relayIP.String()
	}
	port := func(a net.Addr) string {
		_, p, _ := net.SplitHostPort(a.String())
		return net.JoinHostPort(host, p)
	}
	var out []string
	if a := s.UDPAddr(); a != nil {
		out = append(out, "stun:"+port(a), "turn:"+port(a)+"?transport=udp")
	}
	for i, a := range s.ListenerAddrs() {
		tlsOne := t.tlsListen != "" && i == len(s.ListenerAddrs())-1
		switch {
		case tlsOne:
			out = append(out, "turns:"+port(a)+"?transport=tcp")
		default:
			out = append(out, "turn:"+port(a)+"?transport=tcp")
		}
	}
	return out, nil
}
