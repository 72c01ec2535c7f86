package signaling

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// H7: discovery and route candidates read the type index, so a lookup's
// work follows its answer, not the number of actors. With 22,000 actors of
// one type online, a route lookup for a type of three takes a small
// fraction of one pass over all actors (what the old server did, under
// its lock, for every lookup), and every answer is capped by MaxAnswer.
func TestHostileH7LookupsIndexedByType(t *testing.T) {
	s := fuzzServer(t)
	defer s.Close()
	const bulk = 22_000
	online := &session{srv: s}
	s.mu.Lock()
	for i := range bulk + 3 {
		name := "bulk"
		if i >= bulk {
			name = "small"
		}
		e := &actorEntry{id: protocol.ActorID{Realm: 1, Serial: uint64(i + 1), Manufacturer: "acme", Name: name}, subs: map[ActorType]struct{}{}}
		s.addLocked(e)
		s.attachLocked(e, online)
	}
	s.mu.Unlock()

	small := &protocol.RouteCandidatesRequest{TargetType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("small")}}
	if got := s.candidates(1, small).Candidates; len(got) != 3 {
		t.Fatalf("%d candidates of the small type, want 3", len(got))
	}
	all := &protocol.RouteCandidatesRequest{TargetType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("bulk")}, Criteria: &protocol.NodeSelectionCriteria{CandidateCount: proto.Uint32(1 << 20)}}
	if got := s.candidates(1, all).Candidates; len(got) != s.cfg.MaxAnswer {
		t.Fatalf("%d candidates for a limit of 2^20, want MaxAnswer %d", len(got), s.cfg.MaxAnswer)
	}
	if got := s.discover(1, &protocol.DiscoveryRequest{}); len(got) != 2 {
		t.Fatalf("discovered %d types, want 2", len(got))
	}

	const rounds = 200
	start := time.Now()
	for range rounds {
		s.candidates(1, small)
		s.discover(1, &protocol.DiscoveryRequest{})
	}
	lookup := time.Since(start) / rounds
	start = time.Now()
	n := 0
	s.mu.Lock()
	for id, e := range s.actors { // one pass of the old scan
		if id.Realm == 1 && e.sess != nil {
			n++
		}
	}
	s.mu.Unlock()
	scan := time.Since(start)
	t.Logf("lookup (candidates + discovery) %v; one pass over %d actors %v", lookup, n, scan)
	if lookup*10 > scan {
		t.Fatalf("a lookup takes %v, more than a tenth of one pass over all actors (%v): not indexed", lookup, scan)
	}

	// The index follows actors going offline and away.
	s.mu.Lock()
	for i := range 3 {
		e := s.actors[protocol.ActorID{Realm: 1, Serial: uint64(bulk + 1 + i), Manufacturer: "acme", Name: "small"}]
		if i == 0 {
			s.removeLocked(e)
		} else {
			s.detachLocked(e)
		}
	}
	s.mu.Unlock()
	if got := s.discover(1, &protocol.DiscoveryRequest{}); len(got) != 1 || got[0].GetName() != "bulk" {
		t.Fatalf("discovered %v after the small type went offline", got)
	}
	if got := s.candidates(1, small).Candidates; len(got) != 0 {
		t.Fatalf("%d candidates of an offline type", len(got))
	}
}

// BenchmarkRouteCandidates22k measures a route lookup among 22,000 online
// actors of other types.
func BenchmarkRouteCandidates22k(b *testing.B) {
	iss := fuzzServer(b)
	defer iss.Close()
	online := &session{srv: iss}
	iss.mu.Lock()
	for i := range 22_003 {
		name := fmt.Sprint("t", i%1000)
		if i >= 22_000 {
			name = "small"
		}
		e := &actorEntry{id: protocol.ActorID{Realm: 1, Serial: uint64(i + 1), Manufacturer: "acme", Name: name}, subs: map[ActorType]struct{}{}}
		iss.addLocked(e)
		iss.attachLocked(e, online)
	}
	iss.mu.Unlock()
	req := &protocol.RouteCandidatesRequest{TargetType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("small")}}
	for b.Loop() {
		iss.candidates(1, req)
	}
}

// BenchmarkDiscovery22k measures a discovery among 22,000 online actors
// of 1,000 types (the answer is capped at MaxAnswer).
func BenchmarkDiscovery22k(b *testing.B) {
	s := fuzzServer(b)
	defer s.Close()
	online := &session{srv: s}
	s.mu.Lock()
	for i := range 22_003 {
		e := &actorEntry{id: protocol.ActorID{Realm: 1, Serial: uint64(i + 1), Manufacturer: "acme", Name: fmt.Sprint("t", i%1000)}, subs: map[ActorType]struct{}{}}
		s.addLocked(e)
		s.attachLocked(e, online)
	}
	s.mu.Unlock()
	for b.Loop() {
		s.discover(1, &protocol.DiscoveryRequest{})
	}
}
