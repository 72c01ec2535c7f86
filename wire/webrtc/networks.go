package webrtc

import (
	"errors"
	"net"
	"net/netip"
	"slices"

	pion "github.com/pion/webrtc/v4"
)

// A node's networks decide both what it gathers and what it takes from
// peers:
//
//   - Interfaces (names) and LocalNetworks (CIDRs) bound the addresses host
//     candidates are gathered on, and so the local end of every path
//     (srflx and relay candidates are found through those sockets too);
//   - RemoteNetworks (CIDRs) bound the addresses a peer's candidates may
//     name (candidate.go screens them, counted).
//
// LoopbackOnly, the test setting, overrides both with 127.0.0.1.

// ErrNoLocalAddress is returned by NewCoordinator when Interfaces or
// LocalNetworks leave no address of this host to gather on.
var ErrNoLocalAddress = errors.New("webrtc: no local address matches Config.Interfaces and Config.LocalNetworks: check the interface names (ip addr) and CIDRs")

// localFilters sets the gathering filters of the setting engine from
// Interfaces, InterfaceFilter and LocalNetworks, unless LoopbackOnly or
// Net decide. It returns the IP filter, for the shared UDP sockets.
func (c *Config) localFilters(se *pion.SettingEngine) (func(net.IP) bool, error) {
	for _, p := range c.LocalNetworks {
		if !p.IsValid() {
			return nil, errors.New("webrtc: LocalNetworks holds an invalid prefix")
		}
	}
	if c.LoopbackOnly && c.Net == nil {
		return nil, nil // withDefaults gathers on 127.0.0.1 only
	}
	if len(c.Interfaces) > 0 {
		names, prev := slices.Clone(c.Interfaces), c.InterfaceFilter
		se.SetInterfaceFilter(func(name string) bool {
			return slices.Contains(names, name) && (prev == nil || prev(name))
		})
	}
	if len(c.LocalNetworks) == 0 {
		return nil, nil
	}
	nets := slices.Clone(c.LocalNetworks)
	filter := func(ip net.IP) bool {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return false
		}
		a = a.Unmap()
		for _, p := range nets {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	se.SetIPFilter(filter)
	if c.Net == nil {
		if err := c.checkLocalAddresses(filter); err != nil {
			return nil, err
		}
	}
	return filter, nil
}

// checkLocalAddresses fails when no interface address passes the
// filters: the node would gather nothing and connect to nobody.
func (c *Config) checkLocalAddresses(ipOK func(net.IP) bool) error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil // gathering will say
	}
	for _, ifc := range ifaces {
		if len(c.Interfaces) > 0 && !slices.Contains(c.Interfaces, ifc.Name) {
			continue
		}
		if c.InterfaceFilter != nil && !c.InterfaceFilter(ifc.Name) {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipOK(ipn.IP) {
				return nil
			}
		}
	}
	return ErrNoLocalAddress
}
