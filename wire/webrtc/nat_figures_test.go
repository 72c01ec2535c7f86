package webrtc_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// TestNATFigures measures, on the simulated networks of the NAT tests,
// the connect time (first Send to its delivery, fresh nodes: role
// negotiation, gathering with STUN and TURN, ICE, DTLS, SCTP) and the
// throughput of a bulk transfer, for a direct path, one through NAT
// mappings (srflx) and one through the relay, in the same run. Opt-in:
//
//	ACTR_NAT_FIGURES=5 go test -run TestNATFigures -v ./wire/webrtc   # 5 rounds
func TestNATFigures(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("ACTR_NAT_FIGURES"))
	if rounds <= 0 {
		t.Skip("opt-in: ACTR_NAT_FIGURES=<rounds>")
	}
	const (
		msgSize = 16 << 10
		total   = 8 << 20
	)
	cases := []struct {
		name      string
		hosts     []natHost
		bandwidth int
	}{
		{"direct (host)", []natHost{{}, {}}, -1},
		{"srflx (full cone ↔ symmetric)", []natHost{{nat: fullCone}, {nat: symmetric}}, -1},
		{"relay (symmetric ↔ symmetric)", []natHost{{nat: symmetric}, {nat: symmetric}}, -1},
		{"relay, default 4 MiB/s cap", []natHost{{nat: symmetric}, {nat: symmetric}}, 0},
	}
	type result struct{ connect, xfer []time.Duration }
	res := make([]result, len(cases))
	for r := range rounds {
		for i, c := range cases {
			t.Run(fmt.Sprintf("%s/%d", c.name, r), func(t *testing.T) {
				ctx := natGuard(t, 120*time.Second)
				w := newNATWorld(t, natOpts{bandwidth: c.bandwidth}, c.hosts...)
				a := w.natNode(t, ctx, 0, faultNodeOpts{})
				b := w.natNode(t, ctx, 1, faultNodeOpts{})
				start := time.Now()
				connectPair(t, ctx, a, b, "first")
				res[i].connect = append(res[i].connect, time.Since(start))
				p := selectedPair(t, ctx, a, b.id)
				t.Logf("%s: %s → %s", c.name, p.Local, p.Remote)
				msg := make([]byte, msgSize)
				start = time.Now()
				for range total / msgSize {
					if err := a.mgr.Send(ctx, transport.Actor(b.id), protocol.StreamReliable, msg); err != nil {
						t.Fatal(err)
					}
				}
				b.in.wait(t, ctx, 1+total/msgSize)
				res[i].xfer = append(res[i].xfer, time.Since(start))
			})
		}
	}
	t.Logf("| path | connect p50 | connect max | %d MiB transfer p50 | MB/s (p50) |", total>>20)
	t.Logf("|---|---|---|---|---|")
	for i, c := range cases {
		cp, cm := medianMax(res[i].connect)
		xp, _ := medianMax(res[i].xfer)
		t.Logf("| %s | %v | %v | %v | %.1f |", c.name, cp.Round(time.Millisecond), cm.Round(time.Millisecond), xp.Round(time.Millisecond), float64(total)/1e6/xp.Seconds())
	}
}

func medianMax(d []time.Duration) (time.Duration, time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), d...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2], s[len(s)-1]
}
