package webrtc

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/ice/v4"
	pion "github.com/pion/webrtc/v4"
)

func TestCandidateFilter(t *testing.T) {
	loop := newCandidateFilter(&Config{LoopbackOnly: true})
	open := newCandidateFilter(&Config{})
	lan := newCandidateFilter(&Config{RemoteNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		NetworkTypes: []pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeTCP4}})
	for _, tc := range []struct {
		line            string
		loop, open, lan candidateVerdict
	}{
		{"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", candOK, candOK, candOffNetwork},
		{"a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n", candOK, candOK, candOffNetwork},
		{"candidate:1 1 udp 2130706431 10.1.2.3 5000 typ host", candOffNetwork, candOK, candOK},
		{"candidate:1 1 udp 2130706431 ::1 5000 typ host", candOffNetwork, candOK, candOffNetwork},
		{"candidate:1 1 udp 2130706431 ::ffff:10.1.2.3 5000 typ host", candOffNetwork, candOK, candOK}, // IPv4, mapped
		{"candidate:1 1 udp 2130706431 0.0.0.0 5000 typ host", candBadAddress, candBadAddress, candBadAddress},
		{"candidate:1 1 udp 2130706431 :: 5000 typ host", candOffNetwork, candBadAddress, candOffNetwork},
		{"candidate:1 1 udp 2130706431 239.1.1.1 5000 typ host", candBadAddress, candBadAddress, candBadAddress},
		{"candidate:1 1 udp 2130706431 255.255.255.255 5000 typ host", candBadAddress, candBadAddress, candBadAddress},
		{"candidate:1 1 udp 2130706431 127.0.0.1 0 typ host", candBadAddress, candBadAddress, candBadAddress},
		{"candidate:1 1 tcp 2130706431 10.1.2.3 5000 typ host tcptype passive", candOffNetwork, candOffNetwork, candOK},
		{"candidate:1 1 udp 2130706431 abcd.local 5000 typ host", candOffNetwork, candOK, candOffNetwork},
		{"candidate:1 1 udp 2130706431 attacker.example 5000 typ host", candMalformed, candMalformed, candMalformed}, // pion takes .local names only
		{"candidate:1 1 udp 2130706431 10.1.2.3 5000 typ relay raddr 0.0.0.0 rport 0", candOffNetwork, candOK, candOK},
		{"candidate:garbage", candMalformed, candMalformed, candMalformed},
		{"candidate:1 1 udp 2130706431 10.1.2.3 5000 typ host " + strings.Repeat("x", maxCandidateLen), candMalformed, candMalformed, candMalformed},
		{"", candEnd, candEnd, candEnd},
		{"candidate:", candEnd, candEnd, candEnd},
	} {
		for _, f := range []struct {
			name string
			f    *candidateFilter
			want candidateVerdict
		}{{"loopback", &loop, tc.loop}, {"open", &open, tc.open}, {"lan", &lan, tc.lan}} {
			if got := f.f.screen(tc.line); got != f.want {
				t.Errorf("%s: %.60q: %v, want %v", f.name, tc.line, got, f.want)
			}
		}
	}
}

// FuzzScreenCandidate feeds any candidate line to the filter: it must not
// panic, and what it accepts must name a port, and with LoopbackOnly a
// loopback address.
func FuzzScreenCandidate(f *testing.F) {
	for _, s := range []string{
		"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
		"candidate:842163049 1 udp 1677729535 192.0.2.7 61665 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag x",
		"candidate:1 1 tcp 2130706431 ::1 9 typ host tcptype active",
		"candidate:1 1 udp 2130706431 x.local 5000 typ host",
		"a=candidate:1 1 udp 1 224.0.0.1 65535 typ host\r\n",
		"candidate:1 1 udp 1 127.0.0.1 65536 typ host",
		"candidate:",
	} {
		f.Add(s)
	}
	loop := newCandidateFilter(&Config{LoopbackOnly: true})
	open := newCandidateFilter(&Config{})
	f.Fuzz(func(t *testing.T, line string) {
		for i, fl := range []*candidateFilter{&loop, &open} {
			if fl.screen(line) != candOK {
				continue
			}
			c, err := ice.UnmarshalCandidate(strings.TrimRight(strings.TrimPrefix(strings.TrimPrefix(line, "a="), "candidate:"), "\r\n"))
			if err != nil {
				t.Fatalf("accepted an unparsable candidate: %v", err)
			}
			if c.Port() <= 0 || c.Port() > 0xffff {
				t.Fatalf("accepted port %d", c.Port())
			}
			if i == 0 {
				a, err := netip.ParseAddr(c.Address())
				if err != nil || !a.Unmap().IsLoopback() {
					t.Fatalf("LoopbackOnly accepted %q", c.Address())
				}
			}
		}
	})
}
