package status_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/status"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

var local = protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "client"}

func peer(n int) transport.Dest {
	return transport.Actor(protocol.ActorID{Realm: 1, Serial: uint64(100 + n), Manufacturer: "acme", Name: "echo"})
}

func get(t *testing.T, url string) string {
	t.Helper()
	srv := httptest.NewServer(nil)
	defer srv.Close()
	resp, err := srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}

// The page lists exactly the manager's destinations and wires, and the
// events that led there; the HTML shows each destination.
func TestPageMatchesManager(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	net := transporttest.NewNetwork()
	b := transporttest.NewBuilder(net, local)
	mgr, err := transport.NewOutprocManager(local, b)
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	rec := status.NewRecorder(mgr, 0)
	defer rec.Close()
	sub := mgr.Subscribe(256)
	defer sub.Close()
	for i := range 3 {
		if err := mgr.Send(ctx, peer(i), protocol.RPCReliable, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	await := func(what string, match func(transport.Event) bool) {
		t.Helper()
		for {
			select {
			case ev := <-sub.Events():
				if match(ev) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("waiting for %s", what)
			}
		}
	}
	ready := 0
	await("six ready wires", func(ev transport.Event) bool {
		if ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireReady {
			ready++
		}
		return ready == 6
	})
	if b.Drop(peer(1), transport.WireWebRTC) != 1 {
		t.Fatal("nothing to drop")
	}
	await("the dropped wire to fail", func(ev transport.Event) bool {
		return ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireFailed
	})
	srv := httptest.NewServer(status.Handler(mgr, rec))
	defer srv.Close()

	var snap status.Snapshot
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/?format=json")), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Actor != local.String() {
		t.Fatalf("actor %q", snap.Actor)
	}
	dests := mgr.ListDests()
	if len(snap.Dests) != len(dests) {
		t.Fatalf("page lists %d dests, the manager has %d", len(snap.Dests), len(dests))
	}
	for _, d := range snap.Dests {
		var dest transport.Dest
		for _, md := range dests {
			if md.String() == d.Dest {
				dest = md
			}
		}
		tr, ok := mgr.Transport(dest)
		if !ok {
			t.Fatalf("page lists %s, which the manager does not have", d.Dest)
		}
		wires := tr.Pool().Wires()
		if len(wires) != len(d.Wires) {
			t.Fatalf("%s: page lists %d wires, the pool has %d", d.Dest, len(d.Wires), len(wires))
		}
		// Lanes: every data payload type, over the ready wires, WebRTC
		// first where it is ready.
		if len(d.Lanes) != len(protocol.DataPayloadTypes()) {
			t.Fatalf("%s: %d lanes listed", d.Dest, len(d.Lanes))
		}
		for _, l := range d.Lanes {
			var readyKinds []string
			for _, w := range wires {
				if w.State == transport.WireReady {
					readyKinds = append(readyKinds, w.Kind.String())
				}
			}
			if len(l.Wires) != len(readyKinds) || (len(l.Wires) > 0 && d.Dest != peer(1).String() && !strings.HasPrefix(l.Wires[0], "webrtc ")) {
				t.Fatalf("%s %s: lanes %v with ready wires %v", d.Dest, l.PayloadType, l.Wires, readyKinds)
			}
		}
		for i, w := range wires {
			pw := d.Wires[i]
			if pw.ID != uint64(w.ID) || pw.Kind != w.Kind.String() || pw.State != w.State.String() || pw.Adopted != w.Adopted {
				t.Fatalf("%s wire %d: page %+v, pool %+v", d.Dest, i, pw, w)
			}
		}
	}
	if len(snap.Events) == 0 || snap.Events[0].Kind != transport.EventTransportCreated.String() {
		t.Fatalf("events %+v, want the history from the first transport-created", snap.Events)
	}

	html := get(t, srv.URL+"/")
	for _, d := range dests {
		if !strings.Contains(html, d.String()) {
			t.Fatalf("the HTML page does not list %s", d)
		}
	}
	if !strings.Contains(html, `fetch(location.href`) || !strings.Contains(html, ">failed<") || !strings.Contains(html, "RPC_RELIABLE: webrtc ") {
		t.Fatalf("the HTML page lacks the refresh or the failed wire:\n%s", html)
	}
}

// The recorder keeps only the last n events, oldest first.
func TestRecorderIsBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	net := transporttest.NewNetwork()
	mgr, err := transport.NewOutprocManager(local, transporttest.NewBuilder(net, local))
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	rec := status.NewRecorder(mgr, 5)
	defer rec.Close()
	sub := mgr.Subscribe(1024)
	defer sub.Close()
	const dests = 10
	for i := range dests {
		if err := mgr.Send(ctx, peer(i), protocol.RPCReliable, nil); err != nil {
			t.Fatal(err)
		}
		if err := mgr.CloseTransport(ctx, peer(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The last event published is the last transport-removed.
	var last transport.Event
	for removed := 0; removed < dests; {
		select {
		case ev := <-sub.Events():
			if ev.Kind == transport.EventTransportRemoved {
				removed++
				last = ev
			}
		case <-ctx.Done():
			t.Fatal("not every transport was removed")
		}
	}
	// The recorder sees the same stream; Close drains what was published
	// before it, so its events are now final.
	rec.Close()
	evs, _ := rec.Events()
	if n := len(evs); n != 5 || evs[n-1].Kind != last.Kind.String() || evs[n-1].Dest != last.Dest.String() {
		t.Fatalf("events kept: %+v; want 5 ending with %s %s", evs, last.Kind, last.Dest)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Time.Before(evs[i-1].Time) {
			t.Fatalf("events out of order: %+v", evs)
		}
	}
}
