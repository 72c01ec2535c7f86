package status

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/actr-go/actr/transport"
)

// Snapshot is what the status page shows, and its JSON form.
type Snapshot struct {
	Actor         string          `json:"actor"`
	Time          time.Time       `json:"time"`
	Started       time.Time       `json:"started"`
	UptimeSeconds float64         `json:"uptime_seconds"`
	GateURL       string          `json:"gate_url,omitempty"`
	Signaling     *SignalingState `json:"signaling,omitempty"`
	Dests         []DestInfo      `json:"dests"`
	Stats         StatsInfo       `json:"stats"`
	// Traffic is what each lane (payload type over a wire kind) carried
	// since the start, and its rate over the last few seconds.
	Traffic []LaneTraffic `json:"traffic"`
	// RateSeconds is the window the rates cover (0: not yet measured).
	RateSeconds float64 `json:"rate_seconds"`
	// Latency says where round-trip times are: the transport does not
	// measure them (a message has no acknowledgement to time).
	Latency      string      `json:"latency"`
	Links        []Link      `json:"links,omitempty"`
	Events       []EventInfo `json:"events"`        // oldest first
	MissedEvents uint64      `json:"missed_events"` // lost by the recorder
}

// SignalingState is the node's connection to its signaling server.
type SignalingState struct {
	URL              string    `json:"url"`
	Connected        bool      `json:"connected"`
	CredentialExpiry time.Time `json:"credential_expiry"`
}

// Link is a related page, linked from the status page.
type Link struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// LaneTraffic is one lane's counters and rates.
type LaneTraffic struct {
	PayloadType string  `json:"payload_type"`
	Wire        string  `json:"wire"`
	Messages    uint64  `json:"messages"`
	Bytes       uint64  `json:"bytes"`
	MsgsPerSec  float64 `json:"messages_per_second"`
	BytesPerSec float64 `json:"bytes_per_second"`
}

// Options add to the page what the manager does not know.
type Options struct {
	// Started is when the node started (default: when the Recorder did).
	Started time.Time
	// GateURL is where peers reach the node over WebSocket, if anywhere.
	GateURL string
	// Signaling, when set, reports the signaling connection.
	Signaling func() SignalingState
	// Links are shown in the page's header (e.g. /metrics).
	Links []Link
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
	// Summary is Err in a few words, Outcome its class (Describe).
	Summary string  `json:"summary,omitempty"`
	Outcome Outcome `json:"outcome,omitempty"`
}

// StatsInfo are the manager's counters.
type StatsInfo struct {
	Dials         uint64 `json:"dials"`
	DialFailures  uint64 `json:"dial_failures"`
	Removed       uint64 `json:"removed"`
	HealthRemoved uint64 `json:"health_removed"`
	Delivered     uint64 `json:"inbound_delivered"`
	Dropped       uint64 `json:"inbound_dropped"`
	SendErrors    uint64 `json:"send_errors"`
	// DeliveredPerSec is the inbound rate over the last RateSeconds.
	DeliveredPerSec float64 `json:"inbound_delivered_per_second"`
	WiresReady      int     `json:"wires_ready"`
	Wires           int     `json:"wires"`
}

// counterValues flattens the counters the page shows rates of.
func counterValues(st transport.Stats) map[string]uint64 {
	v := map[string]uint64{"inbound": st.Inbound.Delivered}
	for _, l := range st.Sent {
		k := l.PayloadType.String() + "/" + l.Wire.String()
		v[k+"/msgs"], v[k+"/bytes"] = l.Messages, l.Bytes
	}
	return v
}

// Latency is what the page says about round-trip times.
const Latency = "not measured: the transport does not time messages (none is acknowledged); actr bench measures round trips"

// Take snapshots m, with the events of r (may be nil).
func Take(m *transport.OutprocManager, r *Recorder) Snapshot { return TakeWith(m, r, Options{}) }

// TakeWith is Take with what o adds.
func TakeWith(m *transport.OutprocManager, r *Recorder, o Options) Snapshot {
	now := time.Now()
	s := Snapshot{Actor: m.LocalID().String(), Time: now, Started: o.Started, GateURL: o.GateURL, Links: o.Links, Latency: Latency}
	if s.Started.IsZero() && r != nil {
		s.Started = r.started
	}
	if !s.Started.IsZero() {
		s.UptimeSeconds = now.Sub(s.Started).Seconds()
	}
	if o.Signaling != nil {
		st := o.Signaling()
		s.Signaling = &st
	}
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
				wi.Summary, wi.Outcome = Describe(w.Err)
			}
			if w.State == transport.WireReady {
				s.Stats.WiresReady++
			}
			s.Stats.Wires++
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
	s.Stats.Dials, s.Stats.DialFailures, s.Stats.Removed, s.Stats.HealthRemoved = st.Dials, st.DialFailures, st.Removed, st.HealthRemoved
	s.Stats.Delivered, s.Stats.Dropped = st.Inbound.Delivered, st.Inbound.Dropped
	for _, n := range st.SendErrors {
		s.Stats.SendErrors += n
	}
	var rates map[string]float64
	if r != nil {
		rates, s.RateSeconds = r.rates.rates(now, counterValues(st))
		s.Stats.DeliveredPerSec = rates["inbound"]
	}
	for _, l := range st.Sent {
		k := l.PayloadType.String() + "/" + l.Wire.String()
		s.Traffic = append(s.Traffic, LaneTraffic{PayloadType: l.PayloadType.String(), Wire: l.Wire.String(), Messages: l.Messages, Bytes: l.Bytes,
			MsgsPerSec: rates[k+"/msgs"], BytesPerSec: rates[k+"/bytes"]})
	}
	if r != nil {
		s.Events, s.MissedEvents = r.Events()
	}
	return s
}

// Handler serves the status page of m, with the events r records (r may
// be nil). ?format=json serves the Snapshot as JSON.
func Handler(m *transport.OutprocManager, r *Recorder) http.Handler {
	return NewHandler(m, r, Options{})
}

// NewHandler is Handler with what o adds to the page.
func NewHandler(m *transport.OutprocManager, r *Recorder, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		serve(w, req, TakeWith(m, r, o), nodePage)
	})
}

// serve writes v as JSON (?format=json) or through the page template.
func serve(w http.ResponseWriter, req *http.Request, v any, page *template.Template) {
	w.Header().Set("Cache-Control", "no-store")
	if req.URL.Query().Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	if err := page.Execute(&b, v); err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = io.WriteString(w, b.String())
}

var nodePage = template.Must(template.New("node").Funcs(funcs).Parse(`{{define "title"}}actr {{.Actor}}{{end}}` + pageHead + `
<header><h1>actr node <code>{{.Actor}}</code></h1>
<p class="meta">{{with .Signaling}}{{if .Connected}}<span class="pill ok">signaling connected</span>{{else}}<span class="pill warn">signaling reconnecting</span>{{end}}
<span>signaling <code>{{.URL}}</code></span>{{end}}
<span>up {{uptime .UptimeSeconds}}</span>
{{if .GateURL}}<span>gate <code>{{.GateURL}}</code></span>{{else}}<span>no gate</span>{{end}}
<span class="links">{{range .Links}}<a href="{{.URL}}">{{.Name}}</a> · {{end}}<a href="?format=json">JSON</a></span>
<span class="clock">updated {{clock .Time}}</span></p></header>
<section class="cards">
<div class="card"><b>{{len .Dests}}</b>destinations</div>
<div class="card"><b>{{.Stats.WiresReady}}<small>/{{.Stats.Wires}}</small></b>wires ready</div>
<div class="card"><b>{{rate .Stats.DeliveredPerSec}}</b>messages in /s<small>{{.Stats.Delivered}} delivered{{if .Stats.Dropped}}, <span class="bad">{{.Stats.Dropped}} dropped</span>{{end}}</small></div>
<div class="card"><b>{{.Stats.Dials}}</b>dials<small>{{if .Stats.DialFailures}}<span class="bad">{{.Stats.DialFailures}} failed</span>{{else}}none failed{{end}}</small></div>
<div class="card"><b>{{.Stats.Removed}}</b>transports removed<small>{{.Stats.HealthRemoved}} by the health checker</small></div>
<div class="card"><b{{if .Stats.SendErrors}} class="bad"{{end}}>{{.Stats.SendErrors}}</b>send errors</div>
</section>
<h2>Traffic sent, by lane</h2>
{{if .Traffic}}<table><tr><th>payload type</th><th>wire</th><th class="n">messages</th><th class="n">bytes</th><th class="n">msg/s</th><th class="n">bytes/s</th></tr>
{{range .Traffic}}<tr><td>{{.PayloadType}}</td><td>{{.Wire}}</td><td class="n">{{.Messages}}</td><td class="n">{{bytes .Bytes}}</td><td class="n">{{rate .MsgsPerSec}}</td><td class="n">{{bytesRate .BytesPerSec}}</td></tr>
{{end}}</table>{{else}}<p class="none">Nothing sent yet (per-lane counts need transport.WithSendStats).</p>{{end}}
<p class="note">Rates over the last {{printf "%.0f" .RateSeconds}} s. Latency: {{.Latency}}.</p>
<h2>Destinations</h2>
{{if .Dests}}<table><tr><th>destination</th><th>lanes (best first)</th><th>wire</th><th>state</th><th>origin</th><th class="n">attempts</th><th>last error</th></tr>
{{range $d := .Dests}}{{range $i, $w := $d.Wires}}<tr>{{if eq $i 0}}<td rowspan="{{len $d.Wires}}"><code>{{$d.Dest}}</code><br><small>transport {{$d.Transport}}</small></td><td rowspan="{{len $d.Wires}}" class="lanes">{{range $d.Lanes}}{{.PayloadType}}: {{if .Wires}}{{join .Wires}}{{else}}<span class="bad">none ready</span>{{end}}<br>{{end}}</td>{{end}}
<td>{{$w.Kind}} {{$w.ID}}</td><td class="{{stateClass $w.State $w.Outcome}}">{{stateText $w.State $w.Outcome}}</td><td>{{if $w.Adopted}}adopted{{else}}dialled{{end}}</td><td class="n">{{$w.Attempts}}</td><td>{{template "err" $w}}</td></tr>
{{else}}<tr><td><code>{{$d.Dest}}</code></td><td colspan="6">no wires</td></tr>{{end}}{{end}}</table>
{{else}}<p class="none">No destinations: nothing sent to or accepted from a peer right now.</p>{{end}}
<h2>Recent events <small>newest first</small></h2>
{{if .Events}}<table class="events"><tr><th>time</th><th>event</th><th>destination</th><th>wire</th><th>state</th><th>detail</th></tr>
{{range rev .Events}}<tr><td>{{clock .Time}}</td><td>{{.Kind}}</td><td><code>{{.Dest}}</code></td><td>{{.Wire}}</td><td class="{{stateClass .State .Outcome}}">{{stateText .State .Outcome}}</td><td>{{.Reason}}{{if .Err}} {{template "err" .}}{{end}}</td></tr>
{{end}}</table>{{if .MissedEvents}}<p class="note">{{.MissedEvents}} events missed.</p>{{end}}
{{else}}<p class="none">None yet.</p>{{end}}
` + pageFoot + `{{define "err"}}{{if .Err}}<details><summary>{{.Summary}}</summary><code>{{.Err}}</code></details>{{end}}{{end}}`))

var funcs = template.FuncMap{
	"clock": func(t time.Time) string { return t.Format("15:04:05") },
	"join":  func(ws []string) string { return strings.Join(ws, ", ") },
	"rev": func(evs []EventInfo) []EventInfo {
		out := slices.Clone(evs)
		slices.Reverse(out)
		return out
	},
	"uptime": func(sec float64) string {
		d := time.Duration(sec) * time.Second
		switch {
		case d < time.Minute:
			return d.String()
		case d < time.Hour:
			return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
		case d < 48*time.Hour:
			return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
		}
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	},
	"rate": func(r float64) string {
		if r >= 100 {
			return fmt.Sprintf("%.0f", r)
		}
		return fmt.Sprintf("%.1f", r)
	},
	"bytes":     func(n uint64) string { return humanBytes(float64(n)) },
	"bytes64":   func(n int64) string { return humanBytes(float64(n)) },
	"bytesRate": func(r float64) string { return humanBytes(r) + "/s" },
	// An ordinary exit of the peer is shown as such, in grey, not as a
	// red failure.
	"stateText": func(state string, o Outcome) string {
		switch {
		case state == "failed" && o == OutcomePeerLeft:
			return "peer left"
		case state == "failed" && o == OutcomeClosed:
			return "closed"
		}
		return state
	},
	"stateClass": func(state string, o Outcome) string {
		if state == "failed" && (o == OutcomePeerLeft || o == OutcomeClosed) {
			return "closed"
		}
		return state
	},
}

func humanBytes(n float64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", n/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", n/(1<<10))
	}
	return fmt.Sprintf("%.0f B", n)
}

// pageHead and pageFoot frame both status pages. The page updates itself
// in place: a small script fetches it every 2 s and swaps the content,
// so scrolling and open details stay put (without JavaScript, a meta
// refresh reloads it).
const pageHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<noscript><meta http-equiv="refresh" content="5"></noscript>
<title>{{template "title" .}}</title>
<style>
:root{--fg:#1d2330;--mute:#6b7280;--line:#e3e6ea;--bg:#f6f7f9;--ok:#1a7f37;--warn:#b35900;--bad:#c62828}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:var(--bg)}
main{max-width:1400px;margin:0 auto;padding:1em 1.5em 3em}
header h1{font-size:20px;margin:.2em 0 .3em}
.meta{display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center;color:var(--mute);margin:0 0 1em}
.meta code{color:var(--fg)}
.links a{color:#0b57d0;text-decoration:none}.links a:hover{text-decoration:underline}
.clock{margin-left:auto;font-variant-numeric:tabular-nums}
.pill{padding:.1em .7em;border-radius:1em;font-weight:600;font-size:12px}
.pill.ok{background:#dafbe1;color:var(--ok)}.pill.warn{background:#fff1d6;color:var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:.8em;margin-bottom:1.2em}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:.7em 1em;color:var(--mute)}
.card b{display:block;font-size:24px;color:var(--fg);font-variant-numeric:tabular-nums}
.card small{display:block;font-size:12px}.card b small{display:inline;font-size:16px;color:var(--mute)}
h2{font-size:15px;margin:1.4em 0 .4em}h2 small{color:var(--mute);font-weight:normal}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);width:100%}
th,td{border-bottom:1px solid var(--line);padding:.35em .7em;text-align:left;vertical-align:top}
th{background:#fafbfc;font-weight:600;color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.lanes{font-size:12px;color:var(--mute)}
.ready{color:var(--ok);font-weight:600}.failed,.bad{color:var(--bad);font-weight:600}.connecting{color:var(--warn)}.closed{color:var(--mute)}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace}
details summary{cursor:pointer}details code{display:block;white-space:pre-wrap;word-break:break-all;color:var(--mute);margin-top:.3em}
.none,.note{color:var(--mute)}.note{font-size:12px;margin:.3em 0}
</style></head><body><main id="live">`

const pageFoot = `</main>
<script>
(function(){
  var busy=false;
  setInterval(function(){
    if(busy||document.hidden)return;busy=true;
    fetch(location.href,{cache:"no-store"}).then(function(r){return r.ok?r.text():Promise.reject(r.status)}).then(function(html){
      var next=new DOMParser().parseFromString(html,"text/html").getElementById("live");
      var cur=document.getElementById("live");
      if(!next||!cur)return;
      var open=[];cur.querySelectorAll("details[open] summary").forEach(function(s){open.push(s.textContent)});
      cur.innerHTML=next.innerHTML;
      cur.querySelectorAll("details summary").forEach(function(s){if(open.indexOf(s.textContent)>=0)s.parentNode.open=true});
    }).catch(function(){
      var c=document.querySelector(".clock");if(c)c.textContent="not updating: the process does not answer";
    }).finally(function(){busy=false});
  },2000);
})();
</script></body></html>`
