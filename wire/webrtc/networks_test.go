package webrtc_test

import (
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/wire/webrtc"
)

// candidateLog records the candidates a node sent, trickled or in SDP.
type candidateLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *candidateLog) add(s ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s...)
}

func (l *candidateLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

type recordingSignaler struct {
	*signaling.Client
	log *candidateLog
}

func (r *recordingSignaler) SendIceCandidate(target protocol.ActorID, c *protocol.IceCandidate) error {
	r.log.add(c.GetCandidate())
	return r.Client.SendIceCandidate(target, c)
}

func (r *recordingSignaler) SendSessionDescription(target protocol.ActorID, sd *protocol.SessionDescription) error {
	for _, line := range strings.Split(sd.GetSdp(), "\n") {
		if strings.HasPrefix(line, "a=candidate:") {
			r.log.add(line)
		}
	}
	return r.Client.SendSessionDescription(target, sd)
}

// A node with two addresses, told to use one network: it gathers there
// only, so every path it takes starts there; its peer, told to take
// candidates from one network only, drops the others (counted) and the
// path ends there. Both rules decide the pair.
func TestNetworksBoundWhatIsGatheredAndWhatIsTaken(t *testing.T) {
	for _, tc := range []struct {
		name        string
		local       []netip.Prefix // a's LocalNetworks
		remote      []netip.Prefix // b's RemoteNetworks
		want        string         // the address of a's end of the pair
		wantDropped bool           // b counts candidates off its networks
	}{
		{name: "gathered", local: []netip.Prefix{netip.MustParsePrefix("1.2.3.11/32")}, want: "1.2.3.11"},
		{name: "taken", remote: []netip.Prefix{netip.MustParsePrefix("1.2.3.10/32")}, want: "1.2.3.10", wantDropped: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := natGuard(t, 60*time.Second)
			w := newNATWorld(t, natOpts{}, natHost{ips: []string{"1.2.3.10", "1.2.3.11"}}, natHost{ips: []string{"1.2.3.20"}})
			// No STUN or TURN here: host candidates only, so the pair is
			// decided by the networks alone.
			noICE := func(c *webrtc.Config) { c.ICEServersFunc = nil }
			var sent candidateLog
			a := w.natNode(t, ctx, 0, faultNodeOpts{config: func(c *webrtc.Config) { noICE(c); c.LocalNetworks = tc.local },
				signaler: func(c *signaling.Client) webrtc.Signaler { return &recordingSignaler{Client: c, log: &sent} }})
			b := w.natNode(t, ctx, 1, faultNodeOpts{config: func(c *webrtc.Config) { noICE(c); c.RemoteNetworks = tc.remote }})
			connectPair(t, ctx, a, b, "hi")
			pa, pb := selectedPair(t, ctx, a, b.id), selectedPair(t, ctx, b, a.id)
			if pa.Local.Address != tc.want || pb.Remote.Address != tc.want {
				t.Fatalf("pair %+v / %+v: want a's end at %s", pa, pb, tc.want)
			}
			if dropped := b.co.Counters().CandidatesOffNetwork.Load(); (dropped > 0) != tc.wantDropped {
				t.Fatalf("b dropped %d candidates off its networks", dropped)
			}
			if len(tc.local) > 0 {
				inside := 0
				for _, c := range sent.all() {
					if strings.Contains(c, " 1.2.3.10 ") {
						t.Fatalf("a gathered outside its LocalNetworks: %s", c)
					}
					if strings.Contains(c, " 1.2.3.11 ") {
						inside++
					}
				}
				if inside == 0 {
					t.Fatalf("a sent no candidate on 1.2.3.11: %q", sent.all())
				}
			}
		})
	}
}

// Networks that match no address of this host are a configuration
// error, said at once, not a node that silently reaches nobody.
func TestLocalNetworksMatchingNoAddressFail(t *testing.T) {
	err := webrtc.CheckConfig(webrtc.Config{LocalNetworks: []netip.Prefix{netip.MustParsePrefix("198.51.100.77/32")}})
	if !errors.Is(err, webrtc.ErrNoLocalAddress) {
		t.Fatalf("got %v, want ErrNoLocalAddress", err)
	}
	if err := webrtc.CheckConfig(webrtc.Config{Interfaces: []string{"lo"}, LocalNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}); err != nil {
		t.Fatalf("loopback: %v", err)
	}
}
