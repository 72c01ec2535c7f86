package status

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/actr-go/actr/signaling"
)

// SignalingOptions describe a signaling server to its status page.
type SignalingOptions struct {
	// URL is where actors reach the server.
	URL string
	// Policy describes the registration policy in a few words ("open",
	// "secret: realms 1, 2").
	Policy string
	// RealmPolicy, when set, names one realm's policy ("open", "secret",
	// "admits nobody") for the realms table.
	RealmPolicy func(realm uint32) string
	// Links are shown in the page's header (e.g. /metrics).
	Links []Link
}

// SignalingSnapshot is what the signaling server's status page shows,
// and its JSON form.
type SignalingSnapshot struct {
	Time            time.Time   `json:"time"`
	Started         time.Time   `json:"started"`
	UptimeSeconds   float64     `json:"uptime_seconds"`
	URL             string      `json:"url,omitempty"`
	Policy          string      `json:"policy,omitempty"`
	OpenConnections int64       `json:"open_connections"`
	ActorsOnline    int         `json:"actors_online"`
	ActorsKnown     int         `json:"actors_registered"`
	Realms          []RealmInfo `json:"realms"`
	QueuedBytes     int64       `json:"outbound_queued_bytes"`
	// RateSeconds is the window the per-second rates cover (0: not yet).
	RateSeconds     float64           `json:"rate_seconds"`
	RelaysPerSec    float64           `json:"relays_per_second"`
	RegistersPerSec float64           `json:"registrations_per_second"`
	RefusalsPerSec  float64           `json:"refusals_per_second"`
	Counters        map[string]uint64 `json:"counters"`
	Refusals        []ReasonCount     `json:"refusals"`
	Disconnections  []ReasonCount     `json:"disconnections"`
	Links           []Link            `json:"links,omitempty"`
	// Cluster is the server's cluster, when it is in one.
	Cluster *ClusterInfo `json:"cluster,omitempty"`
}

// ClusterInfo is a signaling server's view of its cluster.
type ClusterInfo struct {
	Name    string `json:"name,omitempty"` // this server's
	Healthy bool   `json:"healthy"`
	Servers int    `json:"servers"`
	// Actors counts the actors online on each server (the busiest
	// first), this one's included.
	Actors               []ServerActors `json:"actors_by_server,omitempty"`
	RelaysSentPerSec     float64        `json:"cross_server_relays_sent_per_second"`
	RelaysReceivedPerSec float64        `json:"cross_server_relays_received_per_second"`
	RelaysSent           uint64         `json:"cross_server_relays_sent"`
	RelaysReceived       uint64         `json:"cross_server_relays_received"`
	RelaysUnanswered     uint64         `json:"cross_server_relays_unanswered"`
	Duplicates           uint64         `json:"cross_server_duplicates_dropped"`
	Failovers            uint64         `json:"failovers"`
	RegistrationsRefused uint64         `json:"registrations_refused"`
}

// ServerActors is one server of a cluster and its actors online.
type ServerActors struct {
	Server string `json:"server"`
	Actors int    `json:"actors"`
	This   bool   `json:"this,omitempty"`
}

// RealmInfo is one realm with actors.
type RealmInfo struct {
	Realm      uint32 `json:"realm"`
	Online     int    `json:"online"`
	Registered int    `json:"registered"`
	Policy     string `json:"policy,omitempty"`
}

// ReasonCount is a counter by reason, with its recent rate.
type ReasonCount struct {
	Reason     string  `json:"reason"`
	Count      uint64  `json:"count"`
	RatePerSec float64 `json:"per_second"`
}

// maxServersShown bounds the servers a status page lists.
const maxServersShown = 64

// SignalingPage serves a signaling server's status page. It samples the
// server's counters every second (one goroutine, which Close stops).
type SignalingPage struct {
	srv     *signaling.Server
	o       SignalingOptions
	started time.Time
	rates   *sampler
}

// NewSignalingPage returns the status page of srv; Close it when done.
func NewSignalingPage(srv *signaling.Server, o SignalingOptions) *SignalingPage {
	p := &SignalingPage{srv: srv, o: o, started: time.Now()}
	p.rates = newSampler(func() map[string]uint64 { return signalingCounters(srv.Counters()) })
	return p
}

// Close stops the page's sampling.
func (p *SignalingPage) Close() { p.rates.close() }

func signalingCounters(c *signaling.ServerCounters) map[string]uint64 {
	v := map[string]uint64{
		"connections": c.Connections.Load(), "registrations": c.Registrations.Load(), "resumes": c.Resumes.Load(),
		"unregistrations": c.Unregistrations.Load(), "expirations": c.Expirations.Load(),
		"relayed": c.Relayed.Load(), "relay_refused": c.RelayRefused.Load(), "role_assignments": c.RoleAssignments.Load(),
		"malformed": c.Malformed.Load(), "unauthorized": c.Unauthorized.Load(), "rate_limited": c.RateLimited.Load(),
		"dropped": c.Dropped.Load(), "abuse_closed": c.AbuseClosed.Load(),
		"cluster/relays_sent": c.ClusterRelaysSent.Load(), "cluster/relays_received": c.ClusterRelaysReceived.Load(),
	}
	var refused uint64
	for _, r := range signaling.RefusalReasons() {
		n := c.Refused(r)
		v["refused/"+r.String()] = n
		refused += n
	}
	v["refused"] = refused
	for _, r := range signaling.DisconnectReasons() {
		v["disconnected/"+r.String()] = c.Disconnected(r)
	}
	return v
}

// Take snapshots the server.
func (p *SignalingPage) Take() SignalingSnapshot {
	now := time.Now()
	c := p.srv.Counters()
	values := signalingCounters(c)
	rates, dt := p.rates.rates(now, values)
	s := SignalingSnapshot{Time: now, Started: p.started, UptimeSeconds: now.Sub(p.started).Seconds(), URL: p.o.URL, Policy: p.o.Policy,
		OpenConnections: c.OpenConnections(), QueuedBytes: c.QueuedBytes(), RateSeconds: dt,
		RelaysPerSec: rates["relayed"], RegistersPerSec: rates["registrations"], RefusalsPerSec: rates["refused"],
		Counters: map[string]uint64{}, Links: p.o.Links}
	for k, v := range values {
		if !containsSlash(k) {
			s.Counters[k] = v
		}
	}
	for realm, n := range p.srv.RealmCounts() {
		ri := RealmInfo{Realm: realm, Online: n.Online, Registered: n.Registered}
		if p.o.RealmPolicy != nil {
			ri.Policy = p.o.RealmPolicy(realm)
		}
		s.Realms = append(s.Realms, ri)
		s.ActorsOnline += n.Online
		s.ActorsKnown += n.Registered
	}
	slices.SortFunc(s.Realms, func(a, b RealmInfo) int { return int(int64(a.Realm) - int64(b.Realm)) })
	if st := p.srv.ClusterState(); st.Enabled {
		ci := &ClusterInfo{Name: st.Name, Healthy: st.Healthy, Servers: st.Servers,
			RelaysSentPerSec: rates["cluster/relays_sent"], RelaysReceivedPerSec: rates["cluster/relays_received"],
			RelaysSent: c.ClusterRelaysSent.Load(), RelaysReceived: c.ClusterRelaysReceived.Load(), RelaysUnanswered: c.ClusterRelaysRefused.Load(),
			Duplicates: c.ClusterDedupDrops.Load(), Failovers: c.ClusterFailovers.Load(), RegistrationsRefused: c.ClusterRefused.Load()}
		for server, n := range st.ActorsByServer {
			ci.Actors = append(ci.Actors, ServerActors{Server: server, Actors: n, This: server == st.Name})
		}
		slices.SortFunc(ci.Actors, func(a, b ServerActors) int {
			if a.Actors != b.Actors {
				return b.Actors - a.Actors
			}
			return strings.Compare(a.Server, b.Server)
		})
		if len(ci.Actors) > maxServersShown {
			ci.Actors = ci.Actors[:maxServersShown]
		}
		s.Cluster = ci
	}
	for _, r := range signaling.RefusalReasons() {
		k := "refused/" + r.String()
		s.Refusals = append(s.Refusals, ReasonCount{Reason: r.String(), Count: values[k], RatePerSec: rates[k]})
	}
	for _, r := range signaling.DisconnectReasons() {
		k := "disconnected/" + r.String()
		s.Disconnections = append(s.Disconnections, ReasonCount{Reason: r.String(), Count: values[k], RatePerSec: rates[k]})
	}
	return s
}

func containsSlash(s string) bool {
	for i := range len(s) {
		if s[i] == '/' {
			return true
		}
	}
	return false
}

// ServeHTTP serves the page; ?format=json serves the SignalingSnapshot.
func (p *SignalingPage) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	serve(w, req, p.Take(), signalingPage)
}

var signalingPage = template.Must(template.New("signaling").Funcs(funcs).Parse(`{{define "title"}}actr signaling {{.URL}}{{end}}` + pageHead + `
<header><h1>actr signaling server {{if .URL}}<code>{{.URL}}</code>{{end}}</h1>
<p class="meta"><span class="pill ok">serving</span>{{if .Policy}}<span>policy {{.Policy}}</span>{{end}}
<span>up {{uptime .UptimeSeconds}}</span>
<span class="links">{{range .Links}}<a href="{{.URL}}">{{.Name}}</a> · {{end}}<a href="?format=json">JSON</a></span>
<span class="clock">updated {{clock .Time}}</span></p></header>
<section class="cards">
<div class="card"><b>{{.ActorsOnline}}</b>actors online<small>{{.ActorsKnown}} registered, in {{len .Realms}} realm(s)</small></div>
<div class="card"><b>{{.OpenConnections}}</b>connections open<small>{{index .Counters "connections"}} since start</small></div>
<div class="card"><b>{{rate .RelaysPerSec}}</b>relays /s<small>{{index .Counters "relayed"}} relayed{{with index .Counters "relay_refused"}}, <span class="bad">{{.}} refused</span>{{end}}</small></div>
<div class="card"><b>{{rate .RegistersPerSec}}</b>registrations /s<small>{{index .Counters "registrations"}} since start, {{index .Counters "resumes"}} resumed</small></div>
<div class="card"><b{{if .RefusalsPerSec}} class="bad"{{end}}>{{rate .RefusalsPerSec}}</b>refusals /s<small>{{index .Counters "refused"}} since start</small></div>
<div class="card"><b>{{bytes64 .QueuedBytes}}</b>queued outbound</div>
</section>
{{with .Cluster}}<h2>Cluster <small>{{if .Name}}this server is <code>{{.Name}}</code>{{end}}</small></h2>
<section class="cards">
<div class="card"><b{{if not .Healthy}} class="bad"{{end}}>{{.Servers}}</b>servers alive<small>{{if .Healthy}}backplane reachable{{else}}<span class="bad">cut from the backplane: refusing new actors</span>{{end}}</small></div>
<div class="card"><b>{{rate .RelaysSentPerSec}}</b>cross-server relays sent /s<small>{{.RelaysSent}} since start{{with .RelaysUnanswered}}, <span class="bad">{{.}} unanswered</span>{{end}}</small></div>
<div class="card"><b>{{rate .RelaysReceivedPerSec}}</b>cross-server relays received /s<small>{{.RelaysReceived}} since start, {{.Duplicates}} duplicates dropped</small></div>
<div class="card"><b>{{.Failovers}}</b>failovers in<small>{{with .RegistrationsRefused}}<span class="bad">{{.}} registrations refused</span>{{else}}actors that resumed here from another server{{end}}</small></div>
</section>
{{if .Actors}}<table><tr><th>server</th><th class="n">actors online</th></tr>
{{range .Actors}}<tr><td>{{.Server}}{{if .This}} (this one){{end}}</td><td class="n">{{.Actors}}</td></tr>
{{end}}</table>{{end}}{{end}}
<h2>Realms</h2>
{{if .Realms}}<table><tr><th>realm</th><th class="n">online</th><th class="n">registered</th>{{if (index .Realms 0).Policy}}<th>policy</th>{{end}}</tr>
{{range .Realms}}<tr><td>{{.Realm}}</td><td class="n">{{.Online}}</td><td class="n">{{.Registered}}</td>{{if .Policy}}<td>{{.Policy}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p class="none">No actor registered.</p>{{end}}
<div style="display:grid;grid-template-columns:1fr 1fr;gap:1.2em">
<div><h2>Refusals <small>by the server's limits and policies</small></h2>
<table><tr><th>reason</th><th class="n">count</th><th class="n">/s</th></tr>
{{range .Refusals}}<tr><td>{{.Reason}}</td><td class="n{{if .Count}} bad{{end}}">{{.Count}}</td><td class="n">{{rate .RatePerSec}}</td></tr>
{{end}}</table></div>
<div><h2>Disconnections <small>by reason</small></h2>
<table><tr><th>reason</th><th class="n">count</th><th class="n">/s</th></tr>
{{range .Disconnections}}<tr><td>{{.Reason}}</td><td class="n">{{.Count}}</td><td class="n">{{rate .RatePerSec}}</td></tr>
{{end}}</table></div></div>
<p class="note">Rates over the last {{printf "%.0f" .RateSeconds}} s.</p>
` + pageFoot))
