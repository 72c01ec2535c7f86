package protocol_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/actr-go/actr/protocol"
)

var deterministic = proto.MarshalOptions{Deterministic: true}

func actrID(realm uint32, serial uint64, manufacturer, name string) *protocol.ActrId {
	return protocol.ActorID{Realm: realm, Serial: serial, Manufacturer: manufacturer, Name: name}.Proto()
}

func actrType(manufacturer, name string) *protocol.ActrType {
	return &protocol.ActrType{Manufacturer: proto.String(manufacturer), Name: proto.String(name)}
}

func credential() *protocol.AIdCredential {
	return &protocol.AIdCredential{EncryptedToken: []byte{0xde, 0xad, 0xbe, 0xef}, TokenKeyId: proto.Uint32(3)}
}

func errResp() *protocol.ErrorResponse {
	return &protocol.ErrorResponse{Code: proto.Uint32(403), Message: proto.String("forbidden")}
}

func metadata() []*protocol.MetadataEntry {
	return []*protocol.MetadataEntry{
		{Key: proto.String("k1"), Value: proto.String("v1")},
		{Key: proto.String("k2"), Value: proto.String("")},
	}
}

// sampleMessages returns populated messages which, together, set every field
// and every oneof case of every message in the three .proto files
// (TestSamplesCoverEveryField checks that).
func sampleMessages() []proto.Message {
	a := actrID(1, 42, "acme", "echo")
	b := actrID(1, 43, "acme", "client")
	ts := timestamppb.New(time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC))
	ice := &protocol.IceCandidate{
		Candidate:        proto.String("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"),
		SdpMid:           proto.String("0"),
		SdpMlineIndex:    proto.Uint32(0),
		UsernameFragment: proto.String("ufrag"),
	}
	sdp := &protocol.SessionDescription{Type: protocol.SessionDescription_ICE_RESTART_OFFER.Enum(), Sdp: proto.String("v=0\r\n"),
		SdpExchangeId: proto.String("0123456789abcdef")}
	roleNeg := &protocol.RoleNegotiation{From: a, To: b, TenantId: proto.String("tenant")}
	roleAsg := &protocol.RoleAssignment{IsOfferer: proto.Bool(true)}
	ping := &protocol.Ping{
		Availability:    protocol.ServiceAvailabilityState_OVERLOADED.Enum(),
		PowerReserve:    proto.Float32(0.75),
		MailboxBacklog:  proto.Float32(0.125),
		StickyClientIds: []string{"c1", "c2"},
	}
	pong := &protocol.Pong{Seq: proto.Uint64(9), SuggestIntervalSecs: proto.Uint32(30)}
	regReq := &protocol.RegisterRequest{
		ActrType:    actrType("acme", "echo"),
		Realm:       &protocol.Realm{RealmId: proto.Uint32(1)},
		ServiceSpec: &protocol.ServiceSpec{},
		Acl:         &protocol.Acl{},
	}
	regOk := &protocol.RegisterOk{
		ActrId:                         a,
		Credential:                     credential(),
		Psk:                            []byte("psk"),
		CredentialExpiresAt:            ts,
		SignalingHeartbeatIntervalSecs: proto.Uint32(15),
	}
	regResp := &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Success{Success: regOk}}
	unregResp := &protocol.UnregisterResponse{Result: &protocol.UnregisterResponse_Success{Success: &protocol.UnregisterOk{}}}
	discResp := &protocol.DiscoveryResponse{Result: &protocol.DiscoveryResponse_Success{Success: &protocol.DiscoveryOk{
		ActrTypes: []*protocol.ActrType{actrType("acme", "echo"), actrType("acme", "client")},
	}}}
	routeResp := &protocol.RouteCandidatesResponse{Result: &protocol.RouteCandidatesResponse_Success{Success: &protocol.RouteCandidatesOk{
		Candidates: []*protocol.ActrId{a, b},
	}}}
	subResp := &protocol.SubscribeActrUpResponse{Result: &protocol.SubscribeActrUpResponse_Success{Success: &protocol.SubscribeActrUpOk{}}}
	unsubResp := &protocol.UnsubscribeActrUpResponse{Result: &protocol.UnsubscribeActrUpResponse_Success{Success: &protocol.UnsubscribeActrUpOk{}}}
	upEvent := &protocol.ActrUpEvent{ActrId: b, Up: proto.Bool(false)}

	// The oneof interfaces are unexported, so payloads are set on otherwise
	// empty messages and the common fields filled in afterwards.
	envelope := func(e *protocol.SignalingEnvelope) *protocol.SignalingEnvelope {
		e.EnvelopeVersion = proto.Uint32(1)
		e.EnvelopeId = proto.String("env-1")
		e.ReplyFor = proto.String("env-0")
		e.Timestamp = ts
		e.Traceparent = proto.String("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		e.Tracestate = proto.String("vendor=1")
		return e
	}

	msgs := []proto.Message{
		// actr.proto
		&protocol.Realm{RealmId: proto.Uint32(7)},
		actrType("acme", "echo"),
		a,
		credential(),
		errResp(),
		&protocol.MetadataEntry{Key: proto.String("k"), Value: proto.String("v")},
		&protocol.RpcEnvelope{
			RouteKey:    proto.String("echo.Echo/Say"),
			Payload:     []byte("hello"),
			Error:       errResp(),
			Direction:   protocol.RpcEnvelope_DIRECTION_RESPONSE.Enum(),
			Traceparent: proto.String("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
			Tracestate:  proto.String("vendor=1"),
			RequestId:   proto.String("req-1"),
			Metadata:    metadata(),
			TimeoutMs:   proto.Int64(-1), // negative int64: ten-byte varint
		},
		&protocol.DataStream{
			StreamId:    proto.String("s-1"),
			Sequence:    proto.Uint64(1 << 40),
			Payload:     []byte{0, 1, 2},
			Metadata:    metadata(),
			TimestampMs: proto.Int64(1735787045000),
		},
		// webrtc.proto
		ice,
		sdp,
		// signaling.proto
		roleNeg, roleAsg, ping, pong, regReq, regOk, regResp,
		&protocol.RegisterResponse{Result: &protocol.RegisterResponse_Error{Error: errResp()}},
		&protocol.UnregisterRequest{Reason: proto.String("shutdown")},
		unregResp,
		&protocol.UnregisterResponse{Result: &protocol.UnregisterResponse_Error{Error: errResp()}},
		&protocol.CredentialUpdateRequest{},
		&protocol.DiscoveryRequest{Manufacturer: proto.String("acme"), Limit: proto.Uint32(10)},
		discResp,
		&protocol.DiscoveryResponse{Result: &protocol.DiscoveryResponse_Error{Error: errResp()}},
		&protocol.RouteCandidatesRequest{TargetType: actrType("acme", "echo"), Limit: proto.Uint32(3)},
		routeResp,
		&protocol.RouteCandidatesResponse{Result: &protocol.RouteCandidatesResponse_Error{Error: errResp()}},
		&protocol.SubscribeActrUpRequest{TargetType: actrType("acme", "echo")},
		subResp,
		&protocol.SubscribeActrUpResponse{Result: &protocol.SubscribeActrUpResponse_Error{Error: errResp()}},
		&protocol.UnsubscribeActrUpRequest{TargetType: actrType("acme", "echo")},
		unsubResp,
		&protocol.UnsubscribeActrUpResponse{Result: &protocol.UnsubscribeActrUpResponse_Error{Error: errResp()}},
		upEvent,
		&protocol.ActrUpEvent{ActrId: b, Up: proto.Bool(true)},

		envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_PeerToServer{PeerToServer: &protocol.PeerToSignaling{
			Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: regReq}}}}),
		envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_EnvelopeError{EnvelopeError: errResp()}}),
	}
	for _, m := range []*protocol.ActrToSignaling{
		{Payload: &protocol.ActrToSignaling_UnregisterRequest{UnregisterRequest: &protocol.UnregisterRequest{Reason: proto.String("bye")}}},
		{Payload: &protocol.ActrToSignaling_Ping{Ping: ping}},
		{Payload: &protocol.ActrToSignaling_CredentialUpdateRequest{CredentialUpdateRequest: &protocol.CredentialUpdateRequest{}}},
		{Payload: &protocol.ActrToSignaling_DiscoveryRequest{DiscoveryRequest: &protocol.DiscoveryRequest{Manufacturer: proto.String("acme")}}},
		{Payload: &protocol.ActrToSignaling_RouteCandidatesRequest{RouteCandidatesRequest: &protocol.RouteCandidatesRequest{TargetType: actrType("acme", "echo")}}},
		{Payload: &protocol.ActrToSignaling_SubscribeActrUpRequest{SubscribeActrUpRequest: &protocol.SubscribeActrUpRequest{}}},
		{Payload: &protocol.ActrToSignaling_UnsubscribeActrUpRequest{UnsubscribeActrUpRequest: &protocol.UnsubscribeActrUpRequest{}}},
		{Payload: &protocol.ActrToSignaling_Error{Error: errResp()}},
	} {
		m.Source, m.Credential = a, credential()
		msgs = append(msgs, m, envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrToServer{ActrToServer: m}}))
	}
	for _, m := range []*protocol.SignalingToActr{
		{Payload: &protocol.SignalingToActr_RegisterResponse{RegisterResponse: regResp}},
		{Payload: &protocol.SignalingToActr_UnregisterResponse{UnregisterResponse: unregResp}},
		{Payload: &protocol.SignalingToActr_Pong{Pong: pong}},
		{Payload: &protocol.SignalingToActr_DiscoveryResponse{DiscoveryResponse: discResp}},
		{Payload: &protocol.SignalingToActr_RouteCandidatesResponse{RouteCandidatesResponse: routeResp}},
		{Payload: &protocol.SignalingToActr_SubscribeActrUpResponse{SubscribeActrUpResponse: subResp}},
		{Payload: &protocol.SignalingToActr_UnsubscribeActrUpResponse{UnsubscribeActrUpResponse: unsubResp}},
		{Payload: &protocol.SignalingToActr_ActrUpEvent{ActrUpEvent: upEvent}},
		{Payload: &protocol.SignalingToActr_Error{Error: errResp()}},
	} {
		m.Target = a
		msgs = append(msgs, m, envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ServerToActr{ServerToActr: m}}))
	}
	for _, m := range []*protocol.ActrRelay{
		{Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: ice}},
		{Payload: &protocol.ActrRelay_SessionDescription{SessionDescription: sdp}},
		{Payload: &protocol.ActrRelay_RoleNegotiation{RoleNegotiation: roleNeg}},
		{Payload: &protocol.ActrRelay_RoleAssignment{RoleAssignment: roleAsg}},
		{Payload: &protocol.ActrRelay_IceRestartRequest{IceRestartRequest: &protocol.IceRestartRequest{Reason: proto.String("disconnected")}}},
	} {
		m.Source, m.Credential, m.Target = a, credential(), b
		msgs = append(msgs, m, envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: m}}))
	}
	return msgs
}

func TestMessagesRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		name := string(m.ProtoReflect().Descriptor().FullName())
		b, err := deterministic.Marshal(m)
		if err != nil {
			t.Fatalf("%s: marshal: %v", name, err)
		}
		got := m.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(b, got); err != nil {
			t.Fatalf("%s: unmarshal: %v", name, err)
		}
		if !proto.Equal(m, got) {
			t.Errorf("%s: round trip changed the message:\n sent %v\n  got %v", name, m, got)
		}
		again, err := deterministic.Marshal(got)
		if err != nil {
			t.Fatalf("%s: re-marshal: %v", name, err)
		}
		if string(again) != string(b) {
			t.Errorf("%s: re-encoding differs:\n %x\n %x", name, b, again)
		}
	}
}

// TestSamplesCoverEveryField keeps TestMessagesRoundTrip honest: every message
// and every field (so every oneof case) declared in the three .proto files is
// set somewhere in sampleMessages.
func TestSamplesCoverEveryField(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		seen[m.Descriptor().FullName()] = true
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			seen[fd.FullName()] = true
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	for _, m := range sampleMessages() {
		walk(m.ProtoReflect())
	}
	var check func(md protoreflect.MessageDescriptors)
	check = func(mds protoreflect.MessageDescriptors) {
		for i := 0; i < mds.Len(); i++ {
			md := mds.Get(i)
			if !seen[md.FullName()] {
				t.Errorf("no sample of message %s", md.FullName())
			}
			for j := 0; j < md.Fields().Len(); j++ {
				if fd := md.Fields().Get(j); !seen[fd.FullName()] {
					t.Errorf("no sample sets field %s", fd.FullName())
				}
			}
			check(md.Messages())
		}
	}
	for _, fd := range []protoreflect.FileDescriptor{
		protocol.File_actr_proto, protocol.File_webrtc_proto, protocol.File_signaling_proto,
	} {
		check(fd.Messages())
	}
}

func TestFileLayout(t *testing.T) {
	for _, tc := range []struct {
		file protoreflect.FileDescriptor
		path string
		pkg  protoreflect.FullName
	}{
		{protocol.File_actr_proto, "actr.proto", "actr"},
		{protocol.File_webrtc_proto, "webrtc.proto", "webrtc"},
		{protocol.File_signaling_proto, "signaling.proto", "signaling"},
	} {
		if tc.file.Path() != tc.path || tc.file.Package() != tc.pkg || tc.file.Syntax() != protoreflect.Proto2 {
			t.Errorf("file %s: package %s, syntax %v; want %s, %s, proto2",
				tc.file.Path(), tc.file.Package(), tc.file.Syntax(), tc.path, tc.pkg)
		}
	}
}

func TestActrUpEventUpDefaultsToTrue(t *testing.T) {
	// An event from a sender that knows nothing of field 2 means "up".
	var ev protocol.ActrUpEvent
	if err := proto.Unmarshal(nil, &ev); err != nil {
		t.Fatal(err)
	}
	if !ev.GetUp() || ev.Up != nil {
		t.Fatalf("absent up: GetUp() = %v, Up = %v; want true, nil", ev.GetUp(), ev.Up)
	}
	// An explicit down is encoded, thanks to proto2 presence.
	b, err := deterministic.Marshal(&protocol.ActrUpEvent{Up: proto.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if want := cat(fVarint(2, 0)); string(b) != string(want) {
		t.Fatalf("down event = %x, want %x", b, want)
	}
}

func TestEmptyPlaceholdersKeepUnknownFields(t *testing.T) {
	// ServiceSpec and Acl have no fields of ours; whatever the actr runtime
	// puts there must decode and survive re-encoding.
	in := cat(fBytes(1, []byte("svc")), fVarint(2, 7), fBytes(3, fVarint(1, 1)))
	for _, m := range []proto.Message{&protocol.ServiceSpec{}, &protocol.Acl{}} {
		if err := proto.Unmarshal(in, m); err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		out, err := deterministic.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(in) {
			t.Errorf("%T re-encoded as %x, want %x", m, out, in)
		}
	}
}

func TestDecodeRejectsGarbageWithoutPanic(t *testing.T) {
	for _, b := range [][]byte{
		{0x0a},             // field 1, length-delimited, no length
		{0x0a, 0x05, 0x01}, // length past the end
		{0x07},             // field 0
		{0x0b},             // wire type 3 (start group) without an end
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // varint overflow
	} {
		if err := proto.Unmarshal(b, &protocol.SignalingEnvelope{}); err == nil {
			t.Errorf("Unmarshal(%x) succeeded, want error", b)
		}
	}
}
