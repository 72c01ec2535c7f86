package signaling

import "github.com/actr-go/actr/protocol"

// The type index: the registered actors of each realm by manufacturer and
// name, with how many of each type are online, so that discovery and
// route lookups read only the types and actors they answer with, never
// every actor. Guarded by Server.mu.
type (
	realmIndex map[string]map[string]*typeBucket // manufacturer → name → actors
	typeBucket struct {
		name     string
		actors   map[protocol.ActorID]*actorEntry
		online   int
		versions map[string]int // version → online actors of it
	}
)

func (s *Server) bucketLocked(id protocol.ActorID, create bool) *typeBucket {
	ri := s.index[id.Realm]
	if ri == nil {
		if !create {
			return nil
		}
		ri = realmIndex{}
		s.index[id.Realm] = ri
	}
	names := ri[id.Manufacturer]
	if names == nil {
		if !create {
			return nil
		}
		names = map[string]*typeBucket{}
		ri[id.Manufacturer] = names
	}
	b := names[id.Name]
	if b == nil && create {
		b = &typeBucket{name: id.Name, actors: map[protocol.ActorID]*actorEntry{}, versions: map[string]int{}}
		names[id.Name] = b
	}
	return b
}

// addLocked registers e, offline.
func (s *Server) addLocked(e *actorEntry) {
	s.actors[e.id] = e
	s.addSpecLocked(e.id, e.spec)
	s.bucketLocked(e.id, true).actors[e.id] = e
}

// attachLocked makes ss the connection of e.
func (s *Server) attachLocked(e *actorEntry, ss *session) {
	if e.sess == nil {
		if b := s.bucketLocked(e.id, false); b != nil {
			b.online++
			b.versions[e.id.Version]++
		}
		if s.cluster != nil {
			s.cluster.Up(ClusterActor{ID: e.id, AnswerOnly: ss.answerOnly, WSAddress: e.wsAddress, Spec: e.spec})
		}
	}
	e.sess = ss
}

// detachLocked leaves e registered but offline.
func (s *Server) detachLocked(e *actorEntry) {
	if e.sess != nil {
		if b := s.bucketLocked(e.id, false); b != nil {
			b.online--
			if b.versions[e.id.Version]--; b.versions[e.id.Version] <= 0 {
				delete(b.versions, e.id.Version)
			}
		}
		if s.cluster != nil {
			s.cluster.Down(e.id)
		}
	}
	e.sess = nil
}

// unindexLocked forgets e, dropping the index levels it leaves empty.
func (s *Server) unindexLocked(e *actorEntry) {
	s.detachLocked(e)
	delete(s.actors, e.id)
	s.dropSpecLocked(e.id, e.spec)
	b := s.bucketLocked(e.id, false)
	if b == nil {
		return
	}
	delete(b.actors, e.id)
	if len(b.actors) > 0 {
		return
	}
	ri := s.index[e.id.Realm]
	delete(ri[e.id.Manufacturer], e.id.Name)
	if len(ri[e.id.Manufacturer]) == 0 {
		delete(ri, e.id.Manufacturer)
	}
	if len(ri) == 0 {
		delete(s.index, e.id.Realm)
	}
}
