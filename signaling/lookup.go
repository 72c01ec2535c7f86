package signaling

import (
	"cmp"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// answerLimit is the number of entries an answer may hold: the request's
// limit (def when it names none), never more than MaxAnswer.
func (s *Server) answerLimit(requested uint32, def int) int {
	l := int(requested)
	if l <= 0 {
		l = def
	}
	return min(l, s.cfg.MaxAnswer)
}

// discover returns the types with an online actor in realm, in order,
// reading the type index: the work is in the number of types (of the
// manufacturer, when the request names one), not of actors.
func (s *Server) discover(realm uint32, req *protocol.DiscoveryRequest) []*protocol.TypeEntry {
	var types []ActorType
	s.mu.Lock()
	ri := s.index[realm]
	collect := func(m string, names map[string]*typeBucket) {
		for _, b := range names {
			for v, n := range b.versions {
				if n > 0 {
					types = append(types, ActorType{Manufacturer: m, Name: b.name, Version: v})
				}
			}
		}
	}
	if m := req.GetManufacturer(); m != "" {
		collect(m, ri[m])
	} else {
		for m, names := range ri {
			collect(m, names)
		}
	}
	s.mu.Unlock()
	if s.cluster != nil {
		for _, a := range s.cluster.Remote(realm) {
			if m := req.GetManufacturer(); m == "" || m == a.ID.Manufacturer {
				types = append(types, TypeOf(a.ID))
			}
		}
	}
	slices.SortFunc(types, func(a, b ActorType) int {
		return cmp.Or(cmp.Compare(a.Manufacturer, b.Manufacturer), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	types = slices.Compact(types) // a type online on several servers
	if l := s.answerLimit(req.GetLimit(), s.cfg.MaxAnswer); len(types) > l {
		types = types[:l]
	}
	out := make([]*protocol.TypeEntry, len(types))
	for i, t := range types {
		// actr requires a name and a service fingerprint; our actors
		// register no service, so the type's name names the entry and the
		// fingerprint is empty.
		out[i] = &protocol.TypeEntry{ActrType: t.proto(), Name: proto.String(t.Name), ServiceFingerprint: proto.String("")}
	}
	return out
}

// candidate is a snapshot of what ranking needs, taken under the lock so
// that sorting happens outside it.
type candidate struct {
	id      protocol.ActorID
	avail   protocol.ServiceAvailabilityState
	backlog float32
	wsAddr  string
}

// candidates returns the online actors of a type in realm, best first, and
// the WebSocket gates registered by those that have one.
func (s *Server) candidates(realm uint32, req *protocol.RouteCandidatesRequest) *protocol.RouteCandidatesOk {
	t := typeFromProto(req.GetTargetType())
	want := req.GetCriteria().GetCandidateCount()
	s.mu.Lock()
	var cs []candidate
	if b := s.bucketLocked(protocol.ActorID{Realm: realm, Manufacturer: t.Manufacturer, Name: t.Name}, false); b != nil {
		cs = make([]candidate, 0, b.online)
		for _, e := range b.actors {
			if e.sess != nil && t.matches(TypeOf(e.id)) {
				cs = append(cs, candidate{id: e.id, avail: e.avail, backlog: e.backlog, wsAddr: e.wsAddress})
			}
		}
	}
	s.mu.Unlock()
	if s.cluster != nil {
		// Another server's actors rank by id only among equals: their
		// availability and backlog stay on their server (heartbeats
		// through the directory would cost a write each).
		for _, a := range s.cluster.Remote(realm) {
			if a.ID.Manufacturer == t.Manufacturer && a.ID.Name == t.Name && t.matches(TypeOf(a.ID)) {
				cs = append(cs, candidate{id: a.ID, wsAddr: a.WSAddress})
			}
		}
	}
	slices.SortFunc(cs, byRank)
	if l := s.answerLimit(want, 16); len(cs) > l {
		cs = cs[:l]
	}
	out := &protocol.RouteCandidatesOk{Candidates: make([]*protocol.ActrId, len(cs))}
	for i, c := range cs {
		out.Candidates[i] = c.id.Proto()
		if c.wsAddr != "" {
			out.WsAddressMap = append(out.WsAddressMap, &protocol.WsAddressEntry{CandidateId: c.id.Proto(), WsAddress: proto.String(c.wsAddr)})
		}
	}
	return out
}

// byRank orders route candidates: best availability, then lowest backlog,
// then id for a stable answer.
func byRank(a, b candidate) int {
	if a.avail != b.avail {
		return int(a.avail) - int(b.avail)
	}
	if a.backlog != b.backlog {
		if a.backlog < b.backlog {
			return -1
		}
		return 1
	}
	return a.id.Compare(b.id)
}
