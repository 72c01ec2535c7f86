package main

import (
	"net/netip"
	"strings"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/wire/webrtc"
)

// netFlags bound the networks WebRTC uses: what a node gathers on and
// what it takes from peers, and whether it goes through TURN only.
type netFlags struct {
	interfaces, localNets, remoteNets string
	relayOnly                         bool
}

func addNetFlags(f *flags) *netFlags {
	n := &netFlags{}
	f.StringVar(&n.interfaces, "webrtc-interfaces", "", "comma-separated network interfaces WebRTC gathers candidates on (default: all)")
	f.StringVar(&n.localNets, "webrtc-local-networks", "", "comma-separated CIDRs WebRTC gathers host candidates in (default: all addresses)")
	f.StringVar(&n.remoteNets, "webrtc-remote-networks", "", "comma-separated CIDRs peers' candidates must be in; others are dropped and counted (default: any; include the public ranges that srflx and relay candidates come from)")
	f.BoolVar(&n.relayOnly, "webrtc-relay-only", false, "WebRTC through TURN relays only (checks a TURN deployment; hides this node's addresses from peers)")
	return n
}

func (n *netFlags) apply(cfg *webrtc.Config) error {
	cfg.Interfaces = append(cfg.Interfaces, splitList(n.interfaces)...)
	var err error
	if cfg.LocalNetworks, err = parsePrefixes("--webrtc-local-networks", n.localNets); err != nil {
		return err
	}
	if cfg.RemoteNetworks, err = parsePrefixes("--webrtc-remote-networks", n.remoteNets); err != nil {
		return err
	}
	if n.relayOnly {
		cfg.ICETransportPolicy = pion.ICETransportPolicyRelay
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parsePrefixes(flag, s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range splitList(s) {
		if !strings.Contains(p, "/") { // an address alone is its own /32 or /128
			a, err := netip.ParseAddr(p)
			if err != nil {
				return nil, usageError("%s: %q is not a CIDR (e.g. 10.0.0.0/8) or an address", flag, p)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, usageError("%s: %q is not a CIDR (e.g. 10.0.0.0/8)", flag, p)
		}
		out = append(out, pre.Masked())
	}
	return out, nil
}
