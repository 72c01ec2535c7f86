package protocol_test

import (
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/actr-go/actr/protocol"
)

// designFields is DESIGN.md §6, field by field: "message: number name kind ...".
// A kind is a scalar kind name or the full name of a message or enum type;
// "repeated" is prefixed for lists and "oneof:<name>" suffixed for oneof
// members. TestDesignFields checks the generated descriptors against it.
var designFields = []string{
	"actr.Realm: 1 realm_id uint32",
	"actr.ActrType: 1 manufacturer string; 2 name string",
	"actr.ActrId: 1 realm actr.Realm; 2 serial_number uint64; 3 type actr.ActrType",
	"actr.AIdCredential: 1 encrypted_token bytes; 2 token_key_id uint32",
	"actr.ErrorResponse: 1 code uint32; 2 message string",
	"actr.MetadataEntry: 1 key string; 2 value string",
	"actr.RpcEnvelope: 1 route_key string; 2 payload bytes; 3 error actr.ErrorResponse; 100 traceparent string; " +
		"101 tracestate string; 102 request_id string; 103 metadata repeated actr.MetadataEntry; 104 timeout_ms int64",
	"actr.DataStream: 1 stream_id string; 2 sequence uint64; 3 payload bytes; 4 metadata repeated actr.MetadataEntry; 5 timestamp_ms int64",
	"signaling.RoleNegotiation: 1 from actr.ActrId; 2 to actr.ActrId; 3 tenant_id string",
	"signaling.RoleAssignment: 1 is_offerer bool",
	"signaling.Ping: 1 availability signaling.ServiceAvailabilityState; 2 power_reserve float; 3 mailbox_backlog float; 4 sticky_client_ids repeated string",
	"signaling.Pong: 1 seq uint64; 2 suggest_interval_secs uint32",
	"signaling.RegisterRequest: 1 actr_type actr.ActrType; 2 realm actr.Realm; 3 service_spec signaling.ServiceSpec; 4 acl signaling.Acl",
	"signaling.RegisterResponse: 1 success signaling.RegisterOk oneof:result; 2 error actr.ErrorResponse oneof:result",
	"signaling.RegisterOk: 1 actr_id actr.ActrId; 2 credential actr.AIdCredential; 3 psk bytes; " +
		"4 credential_expires_at google.protobuf.Timestamp; 5 signaling_heartbeat_interval_secs uint32",
	"webrtc.IceCandidate: 1 candidate string; 2 sdp_mid string; 3 sdp_mline_index uint32; 4 username_fragment string",
	"webrtc.SessionDescription: 1 type webrtc.SessionDescription.Type; 2 sdp string",
	"signaling.SignalingEnvelope: 1 envelope_version uint32; 2 envelope_id string; 3 reply_for string; " +
		"4 timestamp google.protobuf.Timestamp; 5 traceparent string; 6 tracestate string; " +
		"10 peer_to_server signaling.PeerToSignaling oneof:flow; 11 actr_to_server signaling.ActrToSignaling oneof:flow; " +
		"12 server_to_actr signaling.SignalingToActr oneof:flow; 13 actr_relay signaling.ActrRelay oneof:flow; " +
		"14 envelope_error actr.ErrorResponse oneof:flow",
	"signaling.PeerToSignaling: 1 register_request signaling.RegisterRequest oneof:payload",
	"signaling.ActrToSignaling: 1 source actr.ActrId; 2 credential actr.AIdCredential; " +
		"3 unregister_request signaling.UnregisterRequest oneof:payload; 4 ping signaling.Ping oneof:payload; " +
		"5 credential_update_request signaling.CredentialUpdateRequest oneof:payload; " +
		"10 discovery_request signaling.DiscoveryRequest oneof:payload; " +
		"11 route_candidates_request signaling.RouteCandidatesRequest oneof:payload; " +
		"20 subscribe_actr_up_request signaling.SubscribeActrUpRequest oneof:payload; " +
		"21 unsubscribe_actr_up_request signaling.UnsubscribeActrUpRequest oneof:payload; " +
		"30 error actr.ErrorResponse oneof:payload",
	"signaling.SignalingToActr: 1 target actr.ActrId; 2 register_response signaling.RegisterResponse oneof:payload; " +
		"3 unregister_response signaling.UnregisterResponse oneof:payload; 4 pong signaling.Pong oneof:payload; " +
		"10 discovery_response signaling.DiscoveryResponse oneof:payload; " +
		"11 route_candidates_response signaling.RouteCandidatesResponse oneof:payload; " +
		"20 subscribe_actr_up_response signaling.SubscribeActrUpResponse oneof:payload; " +
		"21 unsubscribe_actr_up_response signaling.UnsubscribeActrUpResponse oneof:payload; " +
		"22 actr_up_event signaling.ActrUpEvent oneof:payload; 30 error actr.ErrorResponse oneof:payload",
	"signaling.ActrRelay: 1 source actr.ActrId; 2 credential actr.AIdCredential; 3 target actr.ActrId; " +
		"10 ice_candidate webrtc.IceCandidate oneof:payload; 11 session_description webrtc.SessionDescription oneof:payload; " +
		"12 role_negotiation signaling.RoleNegotiation oneof:payload; 13 role_assignment signaling.RoleAssignment oneof:payload",
}

// designEnums is the enums of DESIGN.md §6: "enum: NAME=number ...".
var designEnums = []string{
	"actr.PayloadType: RPC_RELIABLE=0 RPC_SIGNAL=1 STREAM_RELIABLE=2 STREAM_LATENCY_FIRST=3 MEDIA_RTP=4",
	"webrtc.SessionDescription.Type: OFFER=0 ANSWER=1 RENEGOTIATION_OFFER=2 ICE_RESTART_OFFER=3",
}

func kindOf(fd protoreflect.FieldDescriptor) string {
	k := fd.Kind().String()
	switch {
	case fd.Message() != nil:
		k = string(fd.Message().FullName())
	case fd.Enum() != nil:
		k = string(fd.Enum().FullName())
	}
	if fd.IsList() {
		k = "repeated " + k
	}
	if od := fd.ContainingOneof(); od != nil {
		k += " oneof:" + string(od.Name())
	}
	return k
}

func TestDesignFields(t *testing.T) {
	_ = protocol.File_signaling_proto // make sure the files are registered
	for _, spec := range designFields {
		msgName, fields, _ := strings.Cut(spec, ": ")
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(msgName))
		if err != nil {
			t.Errorf("%s: %v", msgName, err)
			continue
		}
		md := d.(protoreflect.MessageDescriptor)
		for _, f := range strings.Split(fields, "; ") {
			parts := strings.SplitN(f, " ", 3)
			num, _ := strconv.Atoi(parts[0])
			fd := md.Fields().ByNumber(protoreflect.FieldNumber(num))
			if fd == nil {
				t.Errorf("%s: no field %d (%s)", msgName, num, parts[1])
				continue
			}
			if string(fd.Name()) != parts[1] || kindOf(fd) != parts[2] {
				t.Errorf("%s field %d: %s %s, want %s %s", msgName, num, fd.Name(), kindOf(fd), parts[1], parts[2])
			}
			if fd.Cardinality() == protoreflect.Required {
				t.Errorf("%s.%s is required; every field should be optional or repeated", msgName, fd.Name())
			}
		}
	}
	for _, spec := range designEnums {
		enumName, values, _ := strings.Cut(spec, ": ")
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(enumName))
		if err != nil {
			t.Errorf("%s: %v", enumName, err)
			continue
		}
		ed := d.(protoreflect.EnumDescriptor)
		vs := strings.Fields(values)
		if ed.Values().Len() != len(vs) {
			t.Errorf("%s has %d values, want %d", enumName, ed.Values().Len(), len(vs))
		}
		for _, v := range vs {
			name, n, _ := strings.Cut(v, "=")
			num, _ := strconv.Atoi(n)
			if vd := ed.Values().ByName(protoreflect.Name(name)); vd == nil || vd.Number() != protoreflect.EnumNumber(num) {
				t.Errorf("%s: want %s = %d", enumName, name, num)
			}
		}
	}
}
