package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

type kind int

const (
	latency    kind = iota // ns, lower is better
	rate                   // msg/s, higher is better
	bandwidth              // msg/s shown as MB/s of payload
	millis                 // ns shown as ms, lower is better
	memory                 // bytes, lower is better
	goroutines             // count, lower is better
)

type row struct {
	key, label string
	kind       kind
	size       int // bandwidth: payload bytes per message
}

var rows = []row{
	{"rt64/p50", "round trip 64 B p50", latency, 0},
	{"rt64/p99", "round trip 64 B p99", latency, 0},
	{"rt1k/p50", "round trip 1 KiB p50", latency, 0},
	{"rt1k/p99", "round trip 1 KiB p99", latency, 0},
	{"tp64/1", "one-way 64 B, 1 sender", rate, 0},
	{"tp64/16", "one-way 64 B, 16 senders", rate, 0},
	{"tp1k/1", "one-way 1 KiB, 1 sender", rate, 0},
	{"tp1k/16", "one-way 1 KiB, 16 senders", rate, 0},
	{"tp64k/1", "one-way 64 KiB, 1 sender", bandwidth, 64 << 10},
	{"tp64k/16", "one-way 64 KiB, 16 senders", bandwidth, 64 << 10},
	{"first", "first message from nothing (connect + first round trip)", millis, 0},
	{"signaling", "actr: registering with signaling, before the first message", millis, 0},
	{"idle/bytes", "idle memory per connection, server process (heap + stacks)", memory, 0},
	{"idle/goroutines", "idle goroutines per connection, server process", goroutines, 0},
}

var peerTitle = map[string]string{
	"actr-ws": "actr-ws", "actr-webrtc": "actr-webrtc", "grpc": "grpc-go bidi stream",
	"actr-rpc": "actr-ws call (rpc)", "grpc-unary": "grpc-go unary",
	"nats": "NATS (embedded broker)", "ws": "bare coder/websocket", "tcp": "bare TCP",
}

func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

func (r row) format(v float64) string {
	switch r.kind {
	case latency:
		us := v / 1e3
		if us < 10 {
			return fmt.Sprintf("%.1f µs", us)
		}
		return fmt.Sprintf("%.0f µs", us)
	case rate:
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2f M msg/s", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.0f k msg/s", v/1e3)
		}
		return fmt.Sprintf("%.0f msg/s", v)
	case bandwidth:
		return fmt.Sprintf("%.0f MB/s", v*float64(r.size)/1e6)
	case millis:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case memory:
		return fmt.Sprintf("%.1f KiB", v/1024)
	}
	return fmt.Sprintf("%.1f", v)
}

// cost is v as a cost: lower is better.
func (r row) cost(v float64) float64 {
	if r.kind == rate || r.kind == bandwidth {
		return 1 / v
	}
	return v
}

func writeReport(w io.Writer, o options, res *results) {
	var peers []string
	for _, p := range allPeers {
		if slices.Contains(o.peers, p) {
			peers = append(peers, p)
		}
	}
	ref := "actr-ws"
	hasRef := slices.Contains(peers, ref)
	var bares []string
	for _, b := range []string{"ws", "tcp"} {
		if hasRef && slices.Contains(peers, b) {
			bares = append(bares, b)
		}
	}
	fmt.Fprintf(w, "Each peer's server in a child process, clients in the benchmark's process, 127.0.0.1; peers take turns in rounds (the order rotates), figures are medians over %d rounds", res.rounds)
	fmt.Fprintf(w, " (round trips %s each, one in flight; throughput %s of sending each, clock stopped when the receiver has counted every message; idle memory over %d connections, %d for actr-webrtc).\n\n",
		o.rtDur, o.tpDur, o.idle, o.idleRTC)
	hdr := []string{"workload"}
	for _, p := range peers {
		hdr = append(hdr, peerTitle[p])
	}
	for _, b := range bares {
		hdr = append(hdr, "actr-ws cost ÷ "+peerTitle[b])
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(hdr, " | "), strings.Repeat("---|", len(hdr)))
	for _, r := range rows {
		cells := []string{r.label}
		refV, refOK := median(res.vals[ref][r.key])
		for _, p := range peers {
			v, ok := median(res.vals[p][r.key])
			switch {
			case !ok && (r.key == "signaling" && !strings.HasPrefix(p, "actr")):
				cells = append(cells, "—")
			case !ok:
				cells = append(cells, "n/a")
			case p == ref || !refOK || r.key == "signaling":
				cells = append(cells, r.format(v))
			default:
				cells = append(cells, fmt.Sprintf("%s (%.2f×)", r.format(v), r.cost(refV)/r.cost(v)))
			}
		}
		for _, b := range bares {
			v, ok := median(res.vals[b][r.key])
			if !ok || !refOK || r.key == "signaling" {
				cells = append(cells, "—")
				continue
			}
			cells = append(cells, fmt.Sprintf("%.2f×", r.cost(refV)/r.cost(v)))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "(×) after a peer's figure: actr-ws's cost ÷ the peer's (time, memory, or 1/throughput), so > 1 means the peer does better than actr-ws.")
	if len(bares) > 0 {
		fmt.Fprintln(w, "actr-ws cost ÷ bare: the same ratio the other way round, against a floor: > 1 is what actr adds (goal for round trips: ≤ 1.3 against bare coder/websocket).")
	}
	fmt.Fprintln(w, "actr's first message leaves out the node's registration with signaling, shown on its own row; actr-ws dials the gate URL the server reported (no gate lookup), actr-webrtc's connect includes the SDP exchange through signaling.")
	var failed []string
	for _, p := range peers {
		for _, k := range sortedKeys(res.errs[p]) {
			failed = append(failed, fmt.Sprintf("- %s, %s: %s", p, k, res.errs[p][k]))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\nFailures (last error of each figure; a figure's median leaves its failed rounds out):\n%s\n", strings.Join(failed, "\n"))
	}
	if !o.rawOutput {
		return
	}
	fmt.Fprintln(w, "\nRaw figures, one per round in run order:")
	fmt.Fprintln(w, "\n```")
	for _, p := range peers {
		for _, r := range rows {
			v := res.vals[p][r.key]
			if len(v) == 0 {
				continue
			}
			s := make([]string, len(v))
			for i, x := range v {
				s[i] = r.format(x)
			}
			fmt.Fprintf(w, "%-12s %-16s %s\n", p, r.key, strings.Join(s, "  "))
		}
	}
	fmt.Fprintln(w, "```")
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}
