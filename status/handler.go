package status

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/actr-go/actr/transport"
)

// Snapshot is what the status page shows, and its JSON form.
type Snapshot struct {
	Actor        string      `json:"actor"`
	Time         time.Time   `json:"time"`
	Dests        []DestInfo  `json:"dests"`
	Stats        StatsInfo   `json:"stats"`
	Events       []EventInfo `json:"events"`        // oldest first
	MissedEvents uint64      `json:"missed_events"` // lost by the recorder
}

// DestInfo is one destination and its wires.
type DestInfo struct {
	Dest      string     `json:"dest"`
	Transport uint64     `json:"transport"`
	Wires     []WireInfo `json:"wires"`
	Lanes     []LaneInfo `json:"lanes"`
}

// LaneInfo is the route of one payload type: the wires (kind and id)
// whose lanes carry it now, best first.
type LaneInfo struct {
	PayloadType string   `json:"payload_type"`
	Wires       []string `json:"wires"` // "webrtc 3"
}

// WireInfo is one wire of a destination.
type WireInfo struct {
	ID       uint64 `json:"id"`
	Kind     string `json:"kind"`
	State    string `json:"state"`
	Adopted  bool   `json:"adopted"` // accepted from the peer, not dialled
	Attempts int    `json:"attempts"`
	Err      string `json:"error,omitempty"`
}

// StatsInfo are the manager's counters.
type StatsInfo struct {
	Dials         uint64 `json:"dials"`
	DialFailures  uint64 `json:"dial_failures"`
	Removed       uint64 `json:"removed"`
	HealthRemoved uint64 `json:"health_removed"`
	Delivered     uint64 `json:"inbound_delivered"`
	Dropped       uint64 `json:"inbound_dropped"`
}

// Take snapshots m, with the events of r (may be nil).
func Take(m *transport.OutprocManager, r *Recorder) Snapshot {
	s := Snapshot{Actor: m.LocalID().String(), Time: time.Now()}
	for _, dest := range m.ListDests() {
		t, ok := m.Transport(dest)
		if !ok {
			continue
		}
		d := DestInfo{Dest: dest.String(), Transport: uint64(t.ID())}
		for _, w := range t.Pool().Wires() {
			wi := WireInfo{ID: uint64(w.ID), Kind: w.Kind.String(), State: w.State.String(), Adopted: w.Adopted, Attempts: w.Attempts}
			if w.Err != nil {
				wi.Err = w.Err.Error()
			}
			d.Wires = append(d.Wires, wi)
		}
		for _, l := range t.Lanes() {
			li := LaneInfo{PayloadType: l.PayloadType.String()}
			for _, w := range l.Wires {
				li.Wires = append(li.Wires, fmt.Sprintf("%s %d", w.Kind, w.ID))
			}
			d.Lanes = append(d.Lanes, li)
		}
		s.Dests = append(s.Dests, d)
	}
	slices.SortFunc(s.Dests, func(a, b DestInfo) int {
		switch {
		case a.Dest < b.Dest:
			return -1
		case a.Dest > b.Dest:
			return 1
		}
		return 0
	})
	st := m.Stats()
	s.Stats = StatsInfo{Dials: st.Dials, DialFailures: st.DialFailures, Removed: st.Removed, HealthRemoved: st.HealthRemoved,
		Delivered: st.Inbound.Delivered, Dropped: st.Inbound.Dropped}
	if r != nil {
		s.Events, s.MissedEvents = r.Events()
	}
	return s
}

// Handler serves the status page of m, with the events r records (r may
// be nil). ?format=json serves the Snapshot as JSON.
func Handler(m *transport.OutprocManager, r *Recorder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s := Take(m, r)
		w.Header().Set("Cache-Control", "no-store")
		if req.URL.Query().Get("format") == "json" {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(s)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, s)
	})
}

var page = template.Must(template.New("status").Funcs(template.FuncMap{
	"clock": func(t time.Time) string { return t.Format("15:04:05.000") },
	"join":  func(ws []string) string { return strings.Join(ws, ", ") },
	"rev": func(evs []EventInfo) []EventInfo {
		out := slices.Clone(evs)
		slices.Reverse(out)
		return out
	},
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>actr {{.Actor}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.ready{color:#070}.failed{color:#b00}.connecting{color:#a60}.closed{color:#777}
code{font-size:13px}
</style></head><body>
<h1>actr node <code>{{.Actor}}</code></h1>
<p>{{clock .Time}} · {{len .Dests}} destination(s) · dials {{.Stats.Dials}} (failed {{.Stats.DialFailures}}) ·
removed {{.Stats.Removed}} (health checker {{.Stats.HealthRemoved}}) · inbound delivered {{.Stats.Delivered}}, dropped {{.Stats.Dropped}}</p>
<h2>Destinations</h2>
{{if .Dests}}<table><tr><th>destination</th><th>transport</th><th>lanes (best first)</th><th>wire</th><th>kind</th><th>state</th><th>origin</th><th>attempts</th><th>last error</th></tr>
{{range $d := .Dests}}{{range $i, $w := $d.Wires}}<tr>{{if eq $i 0}}<td rowspan="{{len $d.Wires}}"><code>{{$d.Dest}}</code></td><td rowspan="{{len $d.Wires}}">{{$d.Transport}}</td><td rowspan="{{len $d.Wires}}">{{range $d.Lanes}}{{.PayloadType}}: {{if .Wires}}{{join .Wires}}{{else}}none ready{{end}}<br>{{end}}</td>{{end}}
<td>{{$w.ID}}</td><td>{{$w.Kind}}</td><td class="{{$w.State}}">{{$w.State}}</td><td>{{if $w.Adopted}}adopted{{else}}dialled{{end}}</td><td>{{$w.Attempts}}</td><td>{{$w.Err}}</td></tr>
{{else}}<tr><td><code>{{$d.Dest}}</code></td><td>{{$d.Transport}}</td><td colspan="7">no wires</td></tr>{{end}}{{end}}</table>
{{else}}<p>None yet.</p>{{end}}
<h2>Recent events</h2>
{{if .Events}}<table><tr><th>time</th><th>event</th><th>destination</th><th>wire</th><th>state</th><th>detail</th></tr>
{{range rev .Events}}<tr><td>{{clock .Time}}</td><td>{{.Kind}}</td><td><code>{{.Dest}}</code></td><td>{{.Wire}}</td><td class="{{.State}}">{{.State}}</td><td>{{.Reason}}{{if .Err}} {{.Err}}{{end}}</td></tr>
{{end}}</table>{{if .MissedEvents}}<p>{{.MissedEvents}} events missed.</p>{{end}}
{{else}}<p>None yet.</p>{{end}}
</body></html>
`))
