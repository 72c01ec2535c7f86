package protocol_test

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/actr-go/actr/protocol"
)

var deterministic = proto.MarshalOptions{Deterministic: true}

func actrID(realm uint32, serial uint64, manufacturer, name, version string) *protocol.ActrId {
	return protocol.ActorID{Realm: realm, Serial: serial, Manufacturer: manufacturer, Name: name, Version: version}.Proto()
}

func actrType(manufacturer, name, version string) *protocol.ActrType {
	return &protocol.ActrType{Manufacturer: proto.String(manufacturer), Name: proto.String(name), Version: proto.String(version)}
}

func identityClaims() *protocol.IdentityClaims {
	return &protocol.IdentityClaims{
		RealmId:   proto.Uint32(1),
		ActorId:   proto.String("2a@1/acme:echo:1.0"),
		ExpiresAt: proto.Uint64(1735787045),
		HolderKey: bytes.Repeat([]byte{0x11}, 32),
		IssuedAt:  proto.Uint64(1735783445),
	}
}

func credential() *protocol.AIdCredential {
	claims, err := deterministic.Marshal(identityClaims())
	if err != nil {
		panic(err)
	}
	return &protocol.AIdCredential{KeyId: proto.Uint32(3), Claims: claims, Signature: bytes.Repeat([]byte{0x5a}, 64)}
}

// proofBody and proof are actr-go's proof of possession (ActrToSignaling.101,
// ActrRelay.100).
func proofBody() *protocol.ProofBody {
	return &protocol.ProofBody{
		Source:       actrID(1, 42, "acme", "echo", "1.0"),
		Audience:     proto.String("gate:acme:echo:1.0@1.42"),
		TimestampMs:  proto.Uint64(1735783446000),
		Nonce:        bytes.Repeat([]byte{0x66}, 16),
		ClaimsSha256: bytes.Repeat([]byte{0x77}, 32),
	}
}

func proof() *protocol.ProofOfPossession {
	body, err := deterministic.Marshal(proofBody())
	if err != nil {
		panic(err)
	}
	return &protocol.ProofOfPossession{Body: body, Signature: bytes.Repeat([]byte{0x5a}, 64)}
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

func serviceSpec() *protocol.ServiceSpec {
	return &protocol.ServiceSpec{
		Name:        proto.String("EchoService"),
		Description: proto.String("says it back"),
		Fingerprint: proto.String("sha256:abcd"),
		Protobufs: []*protocol.ServiceSpec_Protobuf{{
			Package:     proto.String("echo.v1"),
			Content:     proto.String("syntax = \"proto3\";"),
			Fingerprint: proto.String("sha256:ef01"),
		}},
		PublishedAt: proto.Int64(1735787045),
		Tags:        []string{"latest", "stable"},
	}
}

func acl() *protocol.Acl {
	return &protocol.Acl{Rules: []*protocol.AclRule{
		{Permission: protocol.AclRule_ALLOW.Enum(), FromType: actrType("acme", "client", "1.0"),
			SourceRealm: &protocol.AclRule_AnyRealm{AnyRealm: true}},
		{Permission: protocol.AclRule_DENY.Enum(), FromType: actrType("evil", "client", "6.6.6"),
			SourceRealm: &protocol.AclRule_RealmId{RealmId: 9}},
	}}
}

// sampleMessages returns populated messages which, together, set every field
// and every oneof case of every message in the three .proto files
// (TestSamplesCoverEveryField checks that).
func sampleMessages() []proto.Message {
	a := actrID(1, 42, "acme", "echo", "1.0")
	b := actrID(1, 43, "acme", "client", "2.1.0")
	ts := timestamppb.New(time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC))
	ice := &protocol.IceCandidate{
		Candidate:        proto.String("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"),
		SdpMid:           proto.String("0"),
		SdpMlineIndex:    proto.Uint32(0),
		UsernameFragment: proto.String("ufrag"),
	}
	sdp := &protocol.SessionDescription{Type: protocol.SessionDescription_ICE_RESTART_OFFER.Enum(), Sdp: proto.String("v=0\r\n"),
		SdpExchangeId: proto.String("0123456789abcdef")}
	roleNeg := &protocol.RoleNegotiation{From: a, To: b, RealmId: proto.Uint32(1)}
	roleAsg := &protocol.RoleAssignment{IsOfferer: proto.Bool(true), RemoteFixed: proto.Bool(true)}
	ping := &protocol.Ping{
		Availability:    protocol.ServiceAvailabilityState_OVERLOADED.Enum(),
		PowerReserve:    proto.Float32(0.75),
		MailboxBacklog:  proto.Float32(0.125),
		StickyClientIds: []string{"c1", "c2"},
	}
	pong := &protocol.Pong{Seq: proto.Uint64(9), SuggestIntervalSecs: proto.Uint32(30),
		CredentialWarning: &protocol.CredentialWarning{
			Type:    protocol.CredentialWarning_KEY_IN_TOLERANCE_PERIOD.Enum(),
			Message: proto.String("signing key 3 expired; renew"),
		}}
	regReq := &protocol.RegisterRequest{
		ActrType:                  actrType("acme", "echo", "1.0"),
		Realm:                     &protocol.Realm{RealmId: proto.Uint32(1)},
		ServiceSpec:               serviceSpec(),
		Acl:                       acl(),
		Service:                   proto.String("EchoService:sha256:abcd"),
		WsAddress:                 proto.String("ws://192.0.2.1:9100"),
		ManifestRaw:               []byte("[package]\n"),
		MfrSignature:              bytes.Repeat([]byte{0x33}, 64),
		Target:                    proto.String("x86_64-unknown-linux-gnu"),
		AuthMode:                  protocol.RegisterAuthMode_REGISTER_AUTH_MODE_LINKED.Enum(),
		ManufacturerAuthSignature: bytes.Repeat([]byte{0x44}, 64),
		ManufacturerAuthSignedAt:  proto.Uint64(1735787000),
		ManufacturerAuthNonce:     []byte{1, 2, 3, 4, 5, 6, 7, 8},
		HolderKey:                 bytes.Repeat([]byte{0x11}, 32),
	}
	regOk := &protocol.RegisterOk{
		ActrId:     a,
		Credential: credential(),
		TurnCredential: &protocol.TurnCredential{
			Username:  proto.String("1735787045:2a@1/acme:echo:1.0"),
			Password:  proto.String("c2VjcmV0"),
			ExpiresAt: proto.Uint64(1735787045),
		},
		CredentialExpiresAt:            ts,
		SignalingHeartbeatIntervalSecs: proto.Uint32(15),
		SigningPubkey:                  bytes.Repeat([]byte{0x22}, 32),
		SigningKeyId:                   proto.Uint32(3),
		RenewalToken:                   []byte("renew-me"),
		RenewalTokenExpiresAt:          timestamppb.New(time.Date(2025, 2, 2, 3, 4, 5, 0, time.UTC)),
		ProofAudience:                  proto.String("signaling.example.com"),  // actr-go
		IceUrls:                        []string{"turn:turn.example.com:3478"}, // actr-go
	}
	regResp := &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Success{Success: regOk}}
	unregResp := &protocol.UnregisterResponse{Result: &protocol.UnregisterResponse_Success{Success: &protocol.UnregisterOk{}}}
	discResp := &protocol.DiscoveryResponse{Result: &protocol.DiscoveryResponse_Success{Success: &protocol.DiscoveryOk{
		Entries: []*protocol.TypeEntry{
			{
				ActrType:           actrType("acme", "echo", "1.0"),
				Name:               proto.String("EchoService"),
				Description:        proto.String("says it back"),
				ServiceFingerprint: proto.String("sha256:abcd"),
				PublishedAt:        proto.Int64(1735787045),
				Tags:               []string{"latest"},
			},
			{ActrType: actrType("acme", "client", "2.1.0"), Name: proto.String(""), ServiceFingerprint: proto.String("")},
		},
	}}}
	routeReq := &protocol.RouteCandidatesRequest{
		TargetType: actrType("acme", "echo", "1.0"),
		Criteria: &protocol.NodeSelectionCriteria{
			CandidateCount: proto.Uint32(3),
			RankingFactors: []protocol.NodeSelectionCriteria_NodeRankingFactor{
				protocol.NodeSelectionCriteria_NEAREST, protocol.NodeSelectionCriteria_MAXIMUM_POWER_RESERVE,
			},
			MinimalDependencyRequirement: protocol.ServiceDependencyState_WARNING.Enum(),
			MinimalHealthRequirement:     protocol.ServiceAvailabilityState_DEGRADED.Enum(),
		},
		ClientLocation:    &protocol.ServiceLocation{Region: proto.String("eu-west"), Latitude: proto.Float64(48.8566), Longitude: proto.Float64(-2.3522)},
		ClientFingerprint: proto.String("sha256:abcd"),
	}
	routeResp := &protocol.RouteCandidatesResponse{Result: &protocol.RouteCandidatesResponse_Success{Success: &protocol.RouteCandidatesOk{
		Candidates:   []*protocol.ActrId{a, b},
		WsAddressMap: []*protocol.WsAddressEntry{{CandidateId: a, WsAddress: proto.String("ws://192.0.2.1:9100")}},
	}}}
	specResp := &protocol.GetServiceSpecResponse{Result: &protocol.GetServiceSpecResponse_Success{Success: serviceSpec()}}
	keyResp := &protocol.GetSigningKeyResponse{KeyId: proto.Uint32(3), Pubkey: bytes.Repeat([]byte{0x22}, 32)}
	subResp := &protocol.SubscribeActrUpResponse{Result: &protocol.SubscribeActrUpResponse_Success{Success: &protocol.SubscribeActrUpOk{}}}
	unsubResp := &protocol.UnsubscribeActrUpResponse{Result: &protocol.UnsubscribeActrUpResponse_Success{Success: &protocol.UnsubscribeActrUpOk{}}}
	upEvent := &protocol.ActrUpEvent{ActorId: b}
	downEvent := &protocol.ActrDownEvent{ActorId: b}

	// The oneof interfaces are unexported, so payloads are set on otherwise
	// empty messages and the common fields filled in afterwards.
	envelope := func(e *protocol.SignalingEnvelope) *protocol.SignalingEnvelope {
		e.EnvelopeVersion = proto.Uint32(2)
		e.EnvelopeId = proto.String("env-1")
		e.ReplyFor = proto.String("env-0")
		e.Traceparent = proto.String("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		e.Tracestate = proto.String("vendor=1")
		return e
	}

	msgs := []proto.Message{
		// actr.proto
		&protocol.Realm{RealmId: proto.Uint32(7)},
		actrType("acme", "echo", "1.0"),
		a,
		serviceSpec(),
		&protocol.ServiceLocation{Region: proto.String("cn-beijing"), Latitude: proto.Float64(39.9042), Longitude: proto.Float64(116.4074)},
		identityClaims(),
		credential(),
		regOk.TurnCredential,
		proofBody(), proof(), // actr-go
		acl(),
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
		&protocol.DataChunk{
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
		&protocol.RenewCredentialRequest{ActrId: a, RenewalToken: []byte("renew-me")},
		&protocol.RenewCredentialResponse{Result: &protocol.RenewCredentialResponse_Success{Success: regOk}},
		&protocol.RenewCredentialResponse{Result: &protocol.RenewCredentialResponse_Error{Error: errResp()}},
		&protocol.UnregisterRequest{ActrId: a, Reason: proto.String("shutdown")},
		unregResp,
		&protocol.UnregisterResponse{Result: &protocol.UnregisterResponse_Error{Error: errResp()}},
		&protocol.CredentialUpdateRequest{RenewalToken: []byte("renew-me")},
		&protocol.GetSigningKeyRequest{KeyId: proto.Uint32(3)},
		keyResp,
		&protocol.GetServiceSpecRequest{Name: proto.String("EchoService")},
		specResp,
		&protocol.GetServiceSpecResponse{Result: &protocol.GetServiceSpecResponse_Error{Error: errResp()}},
		&protocol.DiscoveryRequest{Manufacturer: proto.String("acme"), Limit: proto.Uint32(10)},
		discResp,
		&protocol.DiscoveryResponse{Result: &protocol.DiscoveryResponse_Error{Error: errResp()}},
		routeReq,
		routeResp,
		&protocol.RouteCandidatesResponse{Result: &protocol.RouteCandidatesResponse_Error{Error: errResp()}},
		&protocol.SubscribeActrUpRequest{TargetType: actrType("acme", "echo", "1.0")},
		subResp,
		&protocol.SubscribeActrUpResponse{Result: &protocol.SubscribeActrUpResponse_Error{Error: errResp()}},
		&protocol.UnsubscribeActrUpRequest{TargetType: actrType("acme", "echo", "1.0")},
		unsubResp,
		&protocol.UnsubscribeActrUpResponse{Result: &protocol.UnsubscribeActrUpResponse_Error{Error: errResp()}},
		upEvent,
		downEvent,

		envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_PeerToServer{PeerToServer: &protocol.PeerToSignaling{
			Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: regReq}}}}),
		envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_EnvelopeError{EnvelopeError: errResp()}}),
	}
	for _, m := range []*protocol.ActrToSignaling{
		{Payload: &protocol.ActrToSignaling_UnregisterRequest{UnregisterRequest: &protocol.UnregisterRequest{ActrId: a, Reason: proto.String("bye")}}},
		{Payload: &protocol.ActrToSignaling_Ping{Ping: ping}},
		{Payload: &protocol.ActrToSignaling_DiscoveryRequest{DiscoveryRequest: &protocol.DiscoveryRequest{Manufacturer: proto.String("acme")}}},
		{Payload: &protocol.ActrToSignaling_RouteCandidatesRequest{RouteCandidatesRequest: routeReq}},
		{Payload: &protocol.ActrToSignaling_GetServiceSpecRequest{GetServiceSpecRequest: &protocol.GetServiceSpecRequest{Name: proto.String("EchoService")}}},
		{Payload: &protocol.ActrToSignaling_GetSigningKeyRequest{GetSigningKeyRequest: &protocol.GetSigningKeyRequest{KeyId: proto.Uint32(3)}}},
		{Payload: &protocol.ActrToSignaling_SubscribeActrUpRequest{SubscribeActrUpRequest: &protocol.SubscribeActrUpRequest{}}},
		{Payload: &protocol.ActrToSignaling_UnsubscribeActrUpRequest{UnsubscribeActrUpRequest: &protocol.UnsubscribeActrUpRequest{}}},
		{Payload: &protocol.ActrToSignaling_Error{Error: errResp()}},
		{Payload: &protocol.ActrToSignaling_CredentialRenewal{CredentialRenewal: &protocol.CredentialUpdateRequest{RenewalToken: []byte("renew-me")}}},
		{Payload: &protocol.ActrToSignaling_Ping{Ping: ping}, Proof: proof()}, // actr-go: proof
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
		{Payload: &protocol.SignalingToActr_GetServiceSpecResponse{GetServiceSpecResponse: specResp}},
		{Payload: &protocol.SignalingToActr_GetSigningKeyResponse{GetSigningKeyResponse: keyResp}},
		{Payload: &protocol.SignalingToActr_SubscribeActrUpResponse{SubscribeActrUpResponse: subResp}},
		{Payload: &protocol.SignalingToActr_UnsubscribeActrUpResponse{UnsubscribeActrUpResponse: unsubResp}},
		{Payload: &protocol.SignalingToActr_ActrUpEvent{ActrUpEvent: upEvent}},
		{Payload: &protocol.SignalingToActr_Error{Error: errResp()}},
		{Payload: &protocol.SignalingToActr_ActrDownEvent{ActrDownEvent: downEvent}},
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
		{Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: ice}, Proof: proof()}, // actr-go: proof
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

func TestActrUpAndDownEvents(t *testing.T) {
	// actr has up-events only (SignalingToActr.22, ActrUpEvent{1 actor_id});
	// our down-event has the same shape on a field of our own (100), which
	// actr's decoders skip, so a down can never read as an up there.
	id := actrID(1, 43, "acme", "client", "2.1.0")
	idBytes, err := deterministic.Marshal(id)
	if err != nil {
		t.Fatal(err)
	}
	up := &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_ActrUpEvent{ActrUpEvent: &protocol.ActrUpEvent{ActorId: id}}}
	down := &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_ActrDownEvent{ActrDownEvent: &protocol.ActrDownEvent{ActorId: id}}}
	checkGolden(t, up, fBytes(22, fBytes(1, idBytes)))
	checkGolden(t, down, fBytes(100, fBytes(1, idBytes)))

	// An up-event read as a down-event (or the reverse) is the same id.
	var asDown protocol.ActrDownEvent
	if err := proto.Unmarshal(fBytes(1, idBytes), &asDown); err != nil || !proto.Equal(asDown.GetActorId(), id) {
		t.Fatalf("ActrDownEvent from an up-event's bytes: %v, %v", &asDown, err)
	}
	var got protocol.SignalingToActr
	if err := proto.Unmarshal(fBytes(100, fBytes(1, idBytes)), &got); err != nil {
		t.Fatal(err)
	}
	if got.GetActrUpEvent() != nil || got.GetActrDownEvent() == nil {
		t.Fatalf("down-event decoded as %v", &got)
	}
}

func TestUnknownFieldsSurvive(t *testing.T) {
	// Whatever the actr runtime adds to a message later (here fields 50, 51,
	// 52) must decode and survive re-encoding, after the fields we know.
	extra := cat(fVarint(50, 7), fString(51, "svc"), fBytes(52, fVarint(1, 1)))
	for _, tc := range []struct {
		m     proto.Message
		known []byte
	}{
		{&protocol.ServiceSpec{}, fString(1, "EchoService")},
		{&protocol.Acl{}, fBytes(1, fVarint(1, 1))},
		{&protocol.ActrType{}, cat(fString(1, "acme"), fString(2, "echo"), fString(3, "1.0"))},
		{&protocol.RegisterOk{}, fVarint(7, 3)},
		{&protocol.Ping{}, fVarint(1, 2)},
	} {
		in := cat(tc.known, extra)
		if err := proto.Unmarshal(in, tc.m); err != nil {
			t.Fatalf("%T: %v", tc.m, err)
		}
		out, err := deterministic.Marshal(tc.m)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != string(in) {
			t.Errorf("%T re-encoded as %x, want %x", tc.m, out, in)
		}
		if len(tc.m.ProtoReflect().GetUnknown()) != len(extra) {
			t.Errorf("%T: unknown fields %x, want %x", tc.m, tc.m.ProtoReflect().GetUnknown(), extra)
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
