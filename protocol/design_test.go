package protocol_test

import (
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/actr-go/actr/protocol"
)

// designFields is the actr runtime's current protocol (envelope version 2),
// field by field, plus our own additions (marked "actr-go:" in the .proto
// files, numbered from 100): "message: number name kind; ...". A kind is a
// scalar kind name or the full name of a message or enum type; "repeated" is
// prefixed for lists and "oneof:<name>" suffixed for oneof members.
// TestDesignFields checks the generated descriptors against it, and that no
// message has a field missing from here. actr declares most messages in its
// proto package actr, some nested; we keep three packages and declare some at
// top level, which changes names, never bytes (docs/PROTOCOL.md).
var designFields = []string{
	// actr.proto
	"actr.Realm: 1 realm_id uint32",
	"actr.ActrType: 1 manufacturer string; 2 name string; 3 version string",
	"actr.ActrId: 1 realm actr.Realm; 2 serial_number uint64; 3 type actr.ActrType",
	"actr.ServiceSpec: 1 name string; 2 description string; 3 fingerprint string; " +
		"4 protobufs repeated actr.ServiceSpec.Protobuf; 5 published_at int64; 6 tags repeated string",
	"actr.ServiceSpec.Protobuf: 1 package string; 2 content string; 3 fingerprint string",
	"actr.ServiceLocation: 1 region string; 2 latitude double; 3 longitude double",
	"actr.IdentityClaims: 1 realm_id uint32; 2 actor_id string; 3 expires_at uint64; " +
		"100 holder_key bytes; 101 issued_at uint64",
	"actr.TurnCredential: 1 username string; 2 password string; 3 expires_at uint64",
	"actr.AIdCredential: 1 key_id uint32; 2 claims bytes; 3 signature bytes",
	"actr.ProofOfPossession: 1 body bytes; 2 signature bytes",
	"actr.ProofBody: 1 source actr.ActrId; 2 audience string; 3 timestamp_ms uint64; 4 nonce bytes; 5 claims_sha256 bytes",
	"actr.AclRule: 1 permission actr.AclRule.Permission; 2 from_type actr.ActrType; " +
		"3 any_realm bool oneof:source_realm; 4 realm_id uint32 oneof:source_realm",
	"actr.Acl: 1 rules repeated actr.AclRule",
	"actr.ErrorResponse: 1 code uint32; 2 message string",
	"actr.MetadataEntry: 1 key string; 2 value string",
	"actr.RpcEnvelope: 1 route_key string; 2 payload bytes; 3 error actr.ErrorResponse; " +
		"4 direction actr.RpcEnvelope.Direction; 100 traceparent string; 101 tracestate string; " +
		"102 request_id string; 103 metadata repeated actr.MetadataEntry; 104 timeout_ms int64",
	"actr.DataChunk: 1 stream_id string; 2 sequence uint64; 3 payload bytes; 4 metadata repeated actr.MetadataEntry; 5 timestamp_ms int64",

	// webrtc.proto
	"webrtc.IceCandidate: 1 candidate string; 2 sdp_mid string; 3 sdp_mline_index uint32; 4 username_fragment string",
	"webrtc.SessionDescription: 1 type webrtc.SessionDescription.Type; 2 sdp string; 3 sdp_exchange_id string",

	// signaling.proto: envelope and flows
	"signaling.SignalingEnvelope: 1 envelope_version uint32; 2 envelope_id string; 3 reply_for string; " +
		"5 traceparent string; 6 tracestate string; " +
		"10 peer_to_server signaling.PeerToSignaling oneof:flow; 11 actr_to_server signaling.ActrToSignaling oneof:flow; " +
		"12 server_to_actr signaling.SignalingToActr oneof:flow; 13 actr_relay signaling.ActrRelay oneof:flow; " +
		"14 envelope_error actr.ErrorResponse oneof:flow",
	"signaling.PeerToSignaling: 1 register_request signaling.RegisterRequest oneof:payload",
	"signaling.ActrToSignaling: 1 source actr.ActrId; 2 credential actr.AIdCredential; " +
		"3 unregister_request signaling.UnregisterRequest oneof:payload; 4 ping signaling.Ping oneof:payload; " +
		"10 discovery_request signaling.DiscoveryRequest oneof:payload; " +
		"11 route_candidates_request signaling.RouteCandidatesRequest oneof:payload; " +
		"12 get_service_spec_request signaling.GetServiceSpecRequest oneof:payload; " +
		"13 get_signing_key_request signaling.GetSigningKeyRequest oneof:payload; " +
		"20 subscribe_actr_up_request signaling.SubscribeActrUpRequest oneof:payload; " +
		"21 unsubscribe_actr_up_request signaling.UnsubscribeActrUpRequest oneof:payload; " +
		"30 error actr.ErrorResponse oneof:payload; " +
		"100 credential_renewal signaling.CredentialUpdateRequest oneof:payload; 101 proof actr.ProofOfPossession",
	"signaling.SignalingToActr: 1 target actr.ActrId; 2 register_response signaling.RegisterResponse oneof:payload; " +
		"3 unregister_response signaling.UnregisterResponse oneof:payload; 4 pong signaling.Pong oneof:payload; " +
		"10 discovery_response signaling.DiscoveryResponse oneof:payload; " +
		"11 route_candidates_response signaling.RouteCandidatesResponse oneof:payload; " +
		"12 get_service_spec_response signaling.GetServiceSpecResponse oneof:payload; " +
		"13 get_signing_key_response signaling.GetSigningKeyResponse oneof:payload; " +
		"20 subscribe_actr_up_response signaling.SubscribeActrUpResponse oneof:payload; " +
		"21 unsubscribe_actr_up_response signaling.UnsubscribeActrUpResponse oneof:payload; " +
		"22 actr_up_event signaling.ActrUpEvent oneof:payload; 30 error actr.ErrorResponse oneof:payload; " +
		"100 actr_down_event signaling.ActrDownEvent oneof:payload",
	"signaling.ActrRelay: 1 source actr.ActrId; 2 credential actr.AIdCredential; 3 target actr.ActrId; " +
		"10 ice_candidate webrtc.IceCandidate oneof:payload; 11 session_description webrtc.SessionDescription oneof:payload; " +
		"12 role_negotiation signaling.RoleNegotiation oneof:payload; 13 role_assignment signaling.RoleAssignment oneof:payload; " +
		"14 ice_restart_request signaling.IceRestartRequest oneof:payload; 100 proof actr.ProofOfPossession",
	"signaling.IceRestartRequest: 1 reason string",
	"signaling.RoleNegotiation: 1 from actr.ActrId; 2 to actr.ActrId; 3 realm_id uint32",
	"signaling.RoleAssignment: 1 is_offerer bool; 2 remote_fixed bool",

	// heartbeat
	"signaling.Ping: 1 availability actr.ServiceAvailabilityState; 2 power_reserve float; 3 mailbox_backlog float; 4 sticky_client_ids repeated string",
	"signaling.Pong: 1 seq uint64; 2 suggest_interval_secs uint32; 3 credential_warning signaling.CredentialWarning",
	"signaling.CredentialWarning: 1 type signaling.CredentialWarning.WarningType; 2 message string",

	// registration and credentials
	"signaling.RegisterRequest: 1 actr_type actr.ActrType; 2 realm actr.Realm; 3 service_spec actr.ServiceSpec; 4 acl actr.Acl; " +
		"5 service string; 6 ws_address string; 10 manifest_raw bytes; 11 mfr_signature bytes; 13 target string; " +
		"14 auth_mode signaling.RegisterAuthMode; 15 manufacturer_auth_signature bytes; 16 manufacturer_auth_signed_at uint64; " +
		"17 manufacturer_auth_nonce bytes; 100 holder_key bytes",
	"signaling.RegisterResponse: 1 success signaling.RegisterOk oneof:result; 2 error actr.ErrorResponse oneof:result",
	"signaling.RegisterOk: 1 actr_id actr.ActrId; 2 credential actr.AIdCredential; 3 turn_credential actr.TurnCredential; " +
		"4 credential_expires_at google.protobuf.Timestamp; 5 signaling_heartbeat_interval_secs uint32; " +
		"6 signing_pubkey bytes; 7 signing_key_id uint32; 12 renewal_token bytes; 13 renewal_token_expires_at google.protobuf.Timestamp; " +
		"100 proof_audience string; 101 ice_urls repeated string",
	"signaling.RenewCredentialRequest: 1 actr_id actr.ActrId; 2 renewal_token bytes",
	"signaling.RenewCredentialResponse: 1 success signaling.RegisterOk oneof:result; 2 error actr.ErrorResponse oneof:result",
	"signaling.UnregisterRequest: 1 actr_id actr.ActrId; 2 reason string",
	"signaling.UnregisterResponse: 1 success signaling.UnregisterOk oneof:result; 2 error actr.ErrorResponse oneof:result",
	"signaling.UnregisterOk:",
	"signaling.CredentialUpdateRequest: 1 renewal_token bytes",
	"signaling.GetSigningKeyRequest: 1 key_id uint32",
	"signaling.GetSigningKeyResponse: 1 key_id uint32; 2 pubkey bytes",
	"signaling.GetServiceSpecRequest: 1 name string",
	"signaling.GetServiceSpecResponse: 1 success actr.ServiceSpec oneof:result; 2 error actr.ErrorResponse oneof:result",

	// discovery and routing
	"signaling.DiscoveryRequest: 1 manufacturer string; 2 limit uint32",
	"signaling.DiscoveryResponse: 1 success signaling.DiscoveryOk oneof:result; 2 error actr.ErrorResponse oneof:result",
	"signaling.TypeEntry: 1 actr_type actr.ActrType; 2 name string; 3 description string; 4 service_fingerprint string; " +
		"5 published_at int64; 6 tags repeated string",
	"signaling.DiscoveryOk: 1 entries repeated signaling.TypeEntry",
	"signaling.NodeSelectionCriteria: 1 candidate_count uint32; 2 ranking_factors repeated signaling.NodeSelectionCriteria.NodeRankingFactor; " +
		"3 minimal_dependency_requirement actr.ServiceDependencyState; 4 minimal_health_requirement actr.ServiceAvailabilityState",
	"signaling.RouteCandidatesRequest: 1 target_type actr.ActrType; 2 criteria signaling.NodeSelectionCriteria; " +
		"3 client_location actr.ServiceLocation; 4 client_fingerprint string",
	"signaling.RouteCandidatesResponse: 1 success signaling.RouteCandidatesOk oneof:result; 2 error actr.ErrorResponse oneof:result",
	"signaling.WsAddressEntry: 1 candidate_id actr.ActrId; 2 ws_address string",
	"signaling.RouteCandidatesOk: 1 candidates repeated actr.ActrId; 2 ws_address_map repeated signaling.WsAddressEntry",

	// presence
	"signaling.SubscribeActrUpRequest: 1 target_type actr.ActrType",
	"signaling.SubscribeActrUpResponse: 1 success signaling.SubscribeActrUpOk oneof:result; 2 error actr.ErrorResponse oneof:result",
	"signaling.SubscribeActrUpOk:",
	"signaling.UnsubscribeActrUpRequest: 1 target_type actr.ActrType",
	"signaling.UnsubscribeActrUpResponse: 1 success signaling.UnsubscribeActrUpOk oneof:result; 2 error actr.ErrorResponse oneof:result",
	"signaling.UnsubscribeActrUpOk:",
	"signaling.ActrUpEvent: 1 actor_id actr.ActrId",
	"signaling.ActrDownEvent: 1 actor_id actr.ActrId",
}

// designReserved is the field numbers and names actr has retired: never to
// be reused, so the .proto files must reserve them.
var designReserved = []string{
	"signaling.SignalingEnvelope: 4 timestamp",
	"signaling.ActrToSignaling: 5 credential_update_request",
	"signaling.RegisterRequest: 12 psk_token",
	"signaling.RegisterOk: 10 psk; 11 psk_expires_at",
}

// designEnums is the enums of actr's protocol: "enum: NAME=number ...".
var designEnums = []string{
	"actr.PayloadType: RPC_RELIABLE=0 RPC_SIGNAL=1 STREAM_RELIABLE=2 STREAM_LATENCY_FIRST=3 MEDIA_RTP=4",
	"actr.ServiceAvailabilityState: FULL=0 DEGRADED=1 OVERLOADED=2 UNAVAILABLE=3",
	"actr.ServiceDependencyState: HEALTHY=0 WARNING=1 BROKEN=2",
	"actr.AclRule.Permission: DENY=0 ALLOW=1",
	"actr.RpcEnvelope.Direction: DIRECTION_UNSPECIFIED=0 DIRECTION_REQUEST=1 DIRECTION_RESPONSE=2 DIRECTION_TELL=3",
	"webrtc.SessionDescription.Type: OFFER=0 ANSWER=1 RENEGOTIATION_OFFER=2 ICE_RESTART_OFFER=3",
	"signaling.RegisterAuthMode: REGISTER_AUTH_MODE_UNSPECIFIED=0 REGISTER_AUTH_MODE_PACKAGE=1 REGISTER_AUTH_MODE_LINKED=2",
	"signaling.CredentialWarning.WarningType: KEY_IN_TOLERANCE_PERIOD=0",
	"signaling.NodeSelectionCriteria.NodeRankingFactor: MAXIMUM_POWER_RESERVE=0 MINIMUM_MAILBOX_BACKLOG=1 EXACT_MATCH_FIRST=2 NEAREST=3 CLIENT_AFFINITY=4",
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
	listed := map[protoreflect.FullName]bool{}
	for _, spec := range designFields {
		msgName, fields, _ := strings.Cut(spec, ":")
		fields = strings.TrimSpace(fields)
		listed[protoreflect.FullName(msgName)] = true
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(msgName))
		if err != nil {
			t.Errorf("%s: %v", msgName, err)
			continue
		}
		md := d.(protoreflect.MessageDescriptor)
		var want []string
		if fields != "" {
			want = strings.Split(fields, "; ")
		}
		if md.Fields().Len() != len(want) {
			t.Errorf("%s has %d fields, want %d", msgName, md.Fields().Len(), len(want))
		}
		for _, f := range want {
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
			if fd.IsPacked() {
				t.Errorf("%s.%s is packed; actr's proto2 repeated fields are not", msgName, fd.Name())
			}
		}
	}
	// Every message of the three files is listed above.
	var check func(mds protoreflect.MessageDescriptors)
	check = func(mds protoreflect.MessageDescriptors) {
		for i := 0; i < mds.Len(); i++ {
			if md := mds.Get(i); !listed[md.FullName()] {
				t.Errorf("message %s is not in designFields", md.FullName())
			} else {
				check(md.Messages())
			}
		}
	}
	for _, fd := range []protoreflect.FileDescriptor{
		protocol.File_actr_proto, protocol.File_webrtc_proto, protocol.File_signaling_proto,
	} {
		check(fd.Messages())
	}
	for _, spec := range designReserved {
		msgName, fields, _ := strings.Cut(spec, ": ")
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(msgName))
		if err != nil {
			t.Errorf("%s: %v", msgName, err)
			continue
		}
		md := d.(protoreflect.MessageDescriptor)
		for _, f := range strings.Split(fields, "; ") {
			n, name, _ := strings.Cut(f, " ")
			num, _ := strconv.Atoi(n)
			if !md.ReservedRanges().Has(protoreflect.FieldNumber(num)) {
				t.Errorf("%s: field number %d is not reserved", msgName, num)
			}
			if !md.ReservedNames().Has(protoreflect.Name(name)) {
				t.Errorf("%s: field name %s is not reserved", msgName, name)
			}
		}
	}
	// Defaults actr declares; a proto2 default changes what an absent field
	// reads as, so both sides must agree.
	for name, want := range map[protoreflect.FullName]protoreflect.Value{
		"signaling.DiscoveryRequest.limit":      protoreflect.ValueOfUint32(64),
		"signaling.RoleAssignment.remote_fixed": protoreflect.ValueOfBool(false),
	} {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fd := d.(protoreflect.FieldDescriptor); !fd.HasDefault() || !fd.Default().Equal(want) {
			t.Errorf("%s: default %v (declared %v), want %v", name, fd.Default(), fd.HasDefault(), want)
		}
	}
	listedEnums := map[protoreflect.FullName]bool{}
	for _, spec := range designEnums {
		enumName, _, _ := strings.Cut(spec, ": ")
		listedEnums[protoreflect.FullName(enumName)] = true
	}
	var checkEnums func(eds protoreflect.EnumDescriptors, mds protoreflect.MessageDescriptors)
	checkEnums = func(eds protoreflect.EnumDescriptors, mds protoreflect.MessageDescriptors) {
		for i := 0; i < eds.Len(); i++ {
			if !listedEnums[eds.Get(i).FullName()] {
				t.Errorf("enum %s is not in designEnums", eds.Get(i).FullName())
			}
		}
		for i := 0; i < mds.Len(); i++ {
			checkEnums(mds.Get(i).Enums(), mds.Get(i).Messages())
		}
	}
	for _, fd := range []protoreflect.FileDescriptor{
		protocol.File_actr_proto, protocol.File_webrtc_proto, protocol.File_signaling_proto,
	} {
		checkEnums(fd.Enums(), fd.Messages())
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
