package signaling

import (
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// Service specs: an actor may register the API it serves
// (RegisterRequest.service_spec); actr's get_service_spec_request asks for
// one by its name. The server keeps each online-or-registered actor's spec,
// indexed by realm and name, and forgets it with the actor. Guarded by
// Server.mu.
type specIndex map[uint32]map[string]map[protocol.ActorID]*protocol.ServiceSpec

// maxServiceSpec bounds a registered spec in encoded bytes; the envelope
// limit bounds it too, this keeps the total a server holds predictable.
const maxServiceSpec = 16 << 10

// checkSpec refuses a spec the server will not keep.
func (s *Server) checkSpec(spec *protocol.ServiceSpec) *protocol.ErrorResponse {
	if spec == nil {
		return nil
	}
	switch {
	case spec.GetName() == "":
		s.counters.Malformed.Add(1)
		return errorResponse(CodeBadRequest, "register_request.service_spec needs a name")
	case len(spec.GetName()) > s.cfg.MaxTypeName:
		s.counters.Malformed.Add(1)
		return errf(CodeBadRequest, "register_request.service_spec.name is over %d bytes", s.cfg.MaxTypeName)
	case proto.Size(spec) > maxServiceSpec:
		return errf(CodeTooLarge, "register_request.service_spec is %d bytes, over the %d-byte limit", proto.Size(spec), maxServiceSpec)
	}
	return nil
}

func (s *Server) addSpecLocked(id protocol.ActorID, spec *protocol.ServiceSpec) {
	if spec == nil {
		return
	}
	names := s.specs[id.Realm]
	if names == nil {
		names = map[string]map[protocol.ActorID]*protocol.ServiceSpec{}
		s.specs[id.Realm] = names
	}
	holders := names[spec.GetName()]
	if holders == nil {
		holders = map[protocol.ActorID]*protocol.ServiceSpec{}
		names[spec.GetName()] = holders
	}
	holders[id] = spec
}

func (s *Server) dropSpecLocked(id protocol.ActorID, spec *protocol.ServiceSpec) {
	if spec == nil {
		return
	}
	names := s.specs[id.Realm]
	delete(names[spec.GetName()], id)
	if len(names[spec.GetName()]) == 0 {
		delete(names, spec.GetName())
	}
	if len(names) == 0 {
		delete(s.specs, id.Realm)
	}
}

// serviceSpec answers get_service_spec_request in realm: the spec of that
// name most recently published (published_at, then actor id for a stable
// answer) by an actor registered there.
func (s *Server) serviceSpec(realm uint32, req *protocol.GetServiceSpecRequest) *protocol.SignalingToActr {
	var best *protocol.ServiceSpec
	var bestID protocol.ActorID
	s.mu.Lock()
	for id, spec := range s.specs[realm][req.GetName()] {
		if best == nil || spec.GetPublishedAt() > best.GetPublishedAt() ||
			spec.GetPublishedAt() == best.GetPublishedAt() && id.Compare(bestID) < 0 {
			best, bestID = spec, id
		}
	}
	s.mu.Unlock()
	r := &protocol.GetServiceSpecResponse{}
	if best == nil {
		r.Result = &protocol.GetServiceSpecResponse_Error{Error: errf(CodeNotFound, "no actor in realm %d registered a service named %q", realm, req.GetName())}
	} else {
		r.Result = &protocol.GetServiceSpecResponse_Success{Success: best}
	}
	return &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_GetServiceSpecResponse{GetServiceSpecResponse: r}}
}
