package protocol_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/actr-go/actr/protocol"
)

// Golden bytes for every message of signaling.proto, built by hand from
// actr's field numbers and wire types (see golden_test.go); the fixtures of
// golden_identity_test.go are nested where actr nests those messages.

// goldenTimestamp is google.protobuf.Timestamp {1 seconds int64, 2 nanos
// int32}. That file is proto3: a zero field is not sent.
func goldenTimestamp(sec int64, nsec int32) (*timestamppb.Timestamp, []byte) {
	var b []byte
	if sec != 0 {
		b = cat(b, fInt64(1, sec))
	}
	if nsec != 0 {
		b = cat(b, fVarint(2, uint64(nsec)))
	}
	return timestamppb.New(time.Unix(sec, int64(nsec))), b
}

func goldenPing() (*protocol.Ping, []byte) {
	return &protocol.Ping{
			Availability:    protocol.ServiceAvailabilityState_OVERLOADED.Enum(),
			PowerReserve:    proto.Float32(0.75),
			MailboxBacklog:  proto.Float32(0.125),
			StickyClientIds: []string{"c1", "c2"},
		}, cat(
			fVarint(1, 2),                      // availability: OVERLOADED
			fFixed32(2, 0x3f400000),            // power_reserve: float 0.75
			fFixed32(3, 0x3e000000),            // mailbox_backlog: float 0.125
			fString(4, "c1"), fString(4, "c2"), // sticky_client_ids
		)
}

func goldenPong() (*protocol.Pong, []byte) {
	return &protocol.Pong{
			Seq:                 proto.Uint64(9),
			SuggestIntervalSecs: proto.Uint32(30),
			CredentialWarning: &protocol.CredentialWarning{
				Type:    protocol.CredentialWarning_KEY_IN_TOLERANCE_PERIOD.Enum(),
				Message: proto.String("key 3 expired"),
			},
		}, cat(
			fVarint(1, 9),
			fVarint(2, 30),
			fBytes(3, cat(fVarint(1, 0), fString(2, "key 3 expired"))), // type 0 is sent: proto2 presence
		)
}

func goldenRegisterRequest() (*protocol.RegisterRequest, []byte) {
	typ, typBytes := goldenActrType()
	spec, specBytes := goldenServiceSpec()
	acl, aclBytes := goldenAcl()
	mfrSig := []byte("mfr-signature")
	authSig := []byte("auth-signature")
	nonce := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	return &protocol.RegisterRequest{
			ActrType:                  typ,
			Realm:                     &protocol.Realm{RealmId: proto.Uint32(101)},
			ServiceSpec:               spec,
			Acl:                       acl,
			Service:                   proto.String("EchoService:sha256:abcd"),
			WsAddress:                 proto.String("ws://192.0.2.1:9100"),
			ManifestRaw:               []byte("[package]\n"),
			MfrSignature:              mfrSig,
			Target:                    proto.String("x86_64-unknown-linux-gnu"),
			AuthMode:                  protocol.RegisterAuthMode_REGISTER_AUTH_MODE_LINKED.Enum(),
			ManufacturerAuthSignature: authSig,
			ManufacturerAuthSignedAt:  proto.Uint64(1735787000),
			ManufacturerAuthNonce:     nonce,
			HolderKey:                 holderKey,
		}, cat(
			fBytes(1, typBytes),
			fBytes(2, fVarint(1, 101)),
			fBytes(3, specBytes),
			fBytes(4, aclBytes),
			fString(5, "EchoService:sha256:abcd"),
			fString(6, "ws://192.0.2.1:9100"),
			fBytes(10, []byte("[package]\n")),
			fBytes(11, mfrSig),
			fString(13, "x86_64-unknown-linux-gnu"),
			fVarint(14, 2), // auth_mode: LINKED
			fBytes(15, authSig),
			fVarint(16, 1735787000),
			fBytes(17, nonce),
			fBytes(100, holderKey), // actr-go: holder_key
		)
}

func goldenRegisterOk() (*protocol.RegisterOk, []byte) {
	cred, credBytes := goldenCredential()
	turn, turnBytes := goldenTurnCredential()
	expires, expiresBytes := goldenTimestamp(1735787045, 6)
	renewalExpires, renewalExpiresBytes := goldenTimestamp(1738465445, 0)
	return &protocol.RegisterOk{
			ActrId:                         goldenA.Proto(),
			Credential:                     cred,
			TurnCredential:                 turn,
			CredentialExpiresAt:            expires,
			SignalingHeartbeatIntervalSecs: proto.Uint32(30),
			SigningPubkey:                  signingKey,
			SigningKeyId:                   proto.Uint32(3),
			RenewalToken:                   []byte("renew-me"),
			RenewalTokenExpiresAt:          renewalExpires,
			ProofAudience:                  proto.String(proofAudience),
			IceUrls:                        []string{"stun:turn.example.com:3478", "turn:turn.example.com:3478?transport=udp"},
		}, cat(
			fBytes(1, wantA()),
			fBytes(2, credBytes),
			fBytes(3, turnBytes),
			fBytes(4, expiresBytes),
			fVarint(5, 30),
			fBytes(6, signingKey),
			fVarint(7, 3),
			fBytes(12, []byte("renew-me")),
			fBytes(13, renewalExpiresBytes),            // nanos 0, not sent
			fString(100, proofAudience),                // actr-go: proof_audience
			fString(101, "stun:turn.example.com:3478"), // actr-go: ice_urls
			fString(101, "turn:turn.example.com:3478?transport=udp"), // actr-go: ice_urls
		)
}

func goldenTypeEntry() (*protocol.TypeEntry, []byte) {
	typ, typBytes := goldenActrType()
	return &protocol.TypeEntry{
			ActrType:           typ,
			Name:               proto.String("EchoService"),
			Description:        proto.String("says it back"),
			ServiceFingerprint: proto.String("sha256:abcd"),
			PublishedAt:        proto.Int64(1735787045),
			Tags:               []string{"latest", "stable"},
		}, cat(
			fBytes(1, typBytes),
			fString(2, "EchoService"),
			fString(3, "says it back"),
			fString(4, "sha256:abcd"),
			fInt64(5, 1735787045),
			fString(6, "latest"), fString(6, "stable"),
		)
}

func goldenDiscoveryOk() (*protocol.DiscoveryOk, []byte) {
	entry, entryBytes := goldenTypeEntry()
	client, clientBytes := goldenClientType()
	return &protocol.DiscoveryOk{Entries: []*protocol.TypeEntry{
			entry,
			{ActrType: client, Name: proto.String(""), ServiceFingerprint: proto.String("")},
		}}, cat(
			fBytes(1, entryBytes),
			fBytes(1, cat(fBytes(1, clientBytes), fString(2, ""), fString(4, ""))),
		)
}

func goldenCriteria() (*protocol.NodeSelectionCriteria, []byte) {
	return &protocol.NodeSelectionCriteria{
			CandidateCount: proto.Uint32(3),
			RankingFactors: []protocol.NodeSelectionCriteria_NodeRankingFactor{
				protocol.NodeSelectionCriteria_NEAREST,
				protocol.NodeSelectionCriteria_EXACT_MATCH_FIRST,
				protocol.NodeSelectionCriteria_CLIENT_AFFINITY,
				protocol.NodeSelectionCriteria_MAXIMUM_POWER_RESERVE,
				protocol.NodeSelectionCriteria_MINIMUM_MAILBOX_BACKLOG,
			},
			MinimalDependencyRequirement: protocol.ServiceDependencyState_WARNING.Enum(),
			MinimalHealthRequirement:     protocol.ServiceAvailabilityState_DEGRADED.Enum(),
		}, cat(
			fVarint(1, 3),
			// proto2 repeated enum, not packed: one tag per element.
			fVarint(2, 3), fVarint(2, 2), fVarint(2, 4), fVarint(2, 0), fVarint(2, 1),
			fVarint(3, 1), // WARNING
			fVarint(4, 1), // DEGRADED
		)
}

func goldenRouteCandidatesRequest() (*protocol.RouteCandidatesRequest, []byte) {
	typ, typBytes := goldenActrType()
	criteria, criteriaBytes := goldenCriteria()
	loc, locBytes := goldenServiceLocation()
	return &protocol.RouteCandidatesRequest{
			TargetType:        typ,
			Criteria:          criteria,
			ClientLocation:    loc,
			ClientFingerprint: proto.String("sha256:abcd"),
		}, cat(
			fBytes(1, typBytes),
			fBytes(2, criteriaBytes),
			fBytes(3, locBytes),
			fString(4, "sha256:abcd"),
		)
}

func goldenRouteCandidatesOk() (*protocol.RouteCandidatesOk, []byte) {
	return &protocol.RouteCandidatesOk{
			Candidates: []*protocol.ActrId{goldenA.Proto(), goldenB.Proto()},
			WsAddressMap: []*protocol.WsAddressEntry{
				{CandidateId: goldenA.Proto(), WsAddress: proto.String("ws://192.0.2.1:9100")},
				{CandidateId: goldenB.Proto(), WsAddress: proto.String("ws://192.0.2.2:9100")},
			},
		}, cat(
			fBytes(1, wantA()), fBytes(1, wantB()),
			fBytes(2, cat(fBytes(1, wantA()), fString(2, "ws://192.0.2.1:9100"))),
			fBytes(2, cat(fBytes(1, wantB()), fString(2, "ws://192.0.2.2:9100"))),
		)
}

func goldenRoleNegotiation() (*protocol.RoleNegotiation, []byte) {
	return &protocol.RoleNegotiation{From: goldenA.Proto(), To: goldenB.Proto(), RealmId: proto.Uint32(101)},
		cat(fBytes(1, wantA()), fBytes(2, wantB()), fVarint(3, 101))
}

func goldenRoleAssignment() (*protocol.RoleAssignment, []byte) {
	return &protocol.RoleAssignment{IsOfferer: proto.Bool(true), RemoteFixed: proto.Bool(true)},
		cat(fBool(1, true), fBool(2, true))
}

func registrationGoldens() []golden {
	regReq, regReqBytes := goldenRegisterRequest()
	regOk, regOkBytes := goldenRegisterOk()
	errResp, errBytes := goldenErrResp()
	return []golden{
		{"RegisterRequest", regReq, regReqBytes},
		{"RegisterOk", regOk, regOkBytes},
		{"RegisterResponse/success", &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Success{Success: regOk}},
			fBytes(1, regOkBytes)},
		{"RegisterResponse/error", &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Error{Error: errResp}},
			fBytes(2, errBytes)},
		{"RenewCredentialRequest", &protocol.RenewCredentialRequest{ActrId: goldenA.Proto(), RenewalToken: []byte("renew-me")},
			cat(fBytes(1, wantA()), fBytes(2, []byte("renew-me")))},
		{"RenewCredentialResponse/success", &protocol.RenewCredentialResponse{Result: &protocol.RenewCredentialResponse_Success{Success: regOk}},
			fBytes(1, regOkBytes)},
		{"RenewCredentialResponse/error", &protocol.RenewCredentialResponse{Result: &protocol.RenewCredentialResponse_Error{Error: errResp}},
			fBytes(2, errBytes)},
		{"UnregisterRequest", &protocol.UnregisterRequest{ActrId: goldenA.Proto(), Reason: proto.String("shutdown")},
			cat(fBytes(1, wantA()), fString(2, "shutdown"))},
		{"UnregisterOk", &protocol.UnregisterOk{}, nil},
		{"UnregisterResponse/success", &protocol.UnregisterResponse{Result: &protocol.UnregisterResponse_Success{Success: &protocol.UnregisterOk{}}},
			fBytes(1, nil)},
		{"UnregisterResponse/error", &protocol.UnregisterResponse{Result: &protocol.UnregisterResponse_Error{Error: errResp}},
			fBytes(2, errBytes)},
		{"GetSigningKeyRequest", &protocol.GetSigningKeyRequest{KeyId: proto.Uint32(3)}, fVarint(1, 3)},
		{"GetSigningKeyResponse", &protocol.GetSigningKeyResponse{KeyId: proto.Uint32(3), Pubkey: signingKey},
			cat(fVarint(1, 3), fBytes(2, signingKey))},
		// actr-go: renewal over the socket.
		{"CredentialUpdateRequest", &protocol.CredentialUpdateRequest{RenewalToken: []byte("renew-me")},
			fBytes(1, []byte("renew-me"))},
		{"CredentialUpdateRequest/empty", &protocol.CredentialUpdateRequest{}, nil},
	}
}

func TestGoldenRegistration(t *testing.T) {
	runGolden(t, registrationGoldens())
}

func heartbeatGoldens() []golden {
	ping, pingBytes := goldenPing()
	pong, pongBytes := goldenPong()
	cases := []golden{
		{"Ping", ping, pingBytes},
		{"Pong", pong, pongBytes},
		{"CredentialWarning", pong.CredentialWarning, cat(fVarint(1, 0), fString(2, "key 3 expired"))},
	}
	for _, tc := range []struct {
		state protocol.ServiceAvailabilityState
		n     uint64
	}{
		{protocol.ServiceAvailabilityState_FULL, 0}, {protocol.ServiceAvailabilityState_DEGRADED, 1},
		{protocol.ServiceAvailabilityState_OVERLOADED, 2}, {protocol.ServiceAvailabilityState_UNAVAILABLE, 3},
	} {
		cases = append(cases, golden{"Ping/" + tc.state.String(), &protocol.Ping{Availability: tc.state.Enum()}, fVarint(1, tc.n)})
	}
	return cases
}

func TestGoldenHeartbeat(t *testing.T) { runGolden(t, heartbeatGoldens()) }

func discoveryGoldens() []golden {
	errResp, errBytes := goldenErrResp()
	spec, specBytes := goldenServiceSpec()
	entry, entryBytes := goldenTypeEntry()
	disc, discBytes := goldenDiscoveryOk()
	criteria, criteriaBytes := goldenCriteria()
	routeReq, routeReqBytes := goldenRouteCandidatesRequest()
	routeOk, routeOkBytes := goldenRouteCandidatesOk()
	return []golden{
		{"GetServiceSpecRequest", &protocol.GetServiceSpecRequest{Name: proto.String("EchoService")}, fString(1, "EchoService")},
		{"GetServiceSpecResponse/success", &protocol.GetServiceSpecResponse{Result: &protocol.GetServiceSpecResponse_Success{Success: spec}},
			fBytes(1, specBytes)},
		{"GetServiceSpecResponse/error", &protocol.GetServiceSpecResponse{Result: &protocol.GetServiceSpecResponse_Error{Error: errResp}},
			fBytes(2, errBytes)},
		{"DiscoveryRequest", &protocol.DiscoveryRequest{Manufacturer: proto.String("acme"), Limit: proto.Uint32(10)},
			cat(fString(1, "acme"), fVarint(2, 10))},
		{"TypeEntry", entry, entryBytes},
		{"TypeEntry/negative published_at", &protocol.TypeEntry{PublishedAt: proto.Int64(-1)}, fInt64(5, -1)},
		{"DiscoveryOk", disc, discBytes},
		{"DiscoveryResponse/success", &protocol.DiscoveryResponse{Result: &protocol.DiscoveryResponse_Success{Success: disc}},
			fBytes(1, discBytes)},
		{"DiscoveryResponse/error", &protocol.DiscoveryResponse{Result: &protocol.DiscoveryResponse_Error{Error: errResp}},
			fBytes(2, errBytes)},
		{"NodeSelectionCriteria", criteria, criteriaBytes},
		{"RouteCandidatesRequest", routeReq, routeReqBytes},
		{"WsAddressEntry", routeOk.WsAddressMap[0], cat(fBytes(1, wantA()), fString(2, "ws://192.0.2.1:9100"))},
		{"RouteCandidatesOk", routeOk, routeOkBytes},
		{"RouteCandidatesResponse/success", &protocol.RouteCandidatesResponse{Result: &protocol.RouteCandidatesResponse_Success{Success: routeOk}},
			fBytes(1, routeOkBytes)},
		{"RouteCandidatesResponse/error", &protocol.RouteCandidatesResponse{Result: &protocol.RouteCandidatesResponse_Error{Error: errResp}},
			fBytes(2, errBytes)},
	}
}

func TestGoldenDiscoveryAndRouting(t *testing.T) {
	runGolden(t, discoveryGoldens())

	// An absent limit reads as actr's default, 64.
	var req protocol.DiscoveryRequest
	if err := proto.Unmarshal(nil, &req); err != nil || req.GetLimit() != 64 || req.Limit != nil {
		t.Errorf("empty DiscoveryRequest: limit %d (set %v), %v; want 64, unset", req.GetLimit(), req.Limit != nil, err)
	}
	// A decoder must take a packed list too, whichever way a sender writes it.
	var packed protocol.NodeSelectionCriteria
	if err := proto.Unmarshal(fBytes(2, []byte{3, 2, 4, 0, 1}), &packed); err != nil ||
		len(packed.RankingFactors) != 5 || packed.RankingFactors[0] != protocol.NodeSelectionCriteria_NEAREST ||
		packed.RankingFactors[4] != protocol.NodeSelectionCriteria_MINIMUM_MAILBOX_BACKLOG {
		t.Errorf("packed ranking_factors decode as %v, %v", packed.RankingFactors, err)
	}
}

func presenceGoldens() []golden {
	errResp, errBytes := goldenErrResp()
	typ, typBytes := goldenActrType()
	return []golden{
		{"SubscribeActrUpRequest", &protocol.SubscribeActrUpRequest{TargetType: typ}, fBytes(1, typBytes)},
		{"SubscribeActrUpOk", &protocol.SubscribeActrUpOk{}, nil},
		{"SubscribeActrUpResponse/success", &protocol.SubscribeActrUpResponse{Result: &protocol.SubscribeActrUpResponse_Success{Success: &protocol.SubscribeActrUpOk{}}},
			fBytes(1, nil)},
		{"SubscribeActrUpResponse/error", &protocol.SubscribeActrUpResponse{Result: &protocol.SubscribeActrUpResponse_Error{Error: errResp}},
			fBytes(2, errBytes)},
		{"UnsubscribeActrUpRequest", &protocol.UnsubscribeActrUpRequest{TargetType: typ}, fBytes(1, typBytes)},
		{"UnsubscribeActrUpOk", &protocol.UnsubscribeActrUpOk{}, nil},
		{"UnsubscribeActrUpResponse/success", &protocol.UnsubscribeActrUpResponse{Result: &protocol.UnsubscribeActrUpResponse_Success{Success: &protocol.UnsubscribeActrUpOk{}}},
			fBytes(1, nil)},
		{"UnsubscribeActrUpResponse/error", &protocol.UnsubscribeActrUpResponse{Result: &protocol.UnsubscribeActrUpResponse_Error{Error: errResp}},
			fBytes(2, errBytes)},
		{"ActrUpEvent", &protocol.ActrUpEvent{ActorId: goldenB.Proto()}, fBytes(1, wantB())},
		// actr-go: same shape, carried on SignalingToActr.100.
		{"ActrDownEvent", &protocol.ActrDownEvent{ActorId: goldenB.Proto()}, fBytes(1, wantB())},
	}
}

func TestGoldenPresence(t *testing.T) {
	runGolden(t, presenceGoldens())
}

func relayedGoldens() []golden {
	roleNeg, roleNegBytes := goldenRoleNegotiation()
	roleAsg, roleAsgBytes := goldenRoleAssignment()
	return []golden{
		{"RoleNegotiation", roleNeg, roleNegBytes},
		{"RoleAssignment", roleAsg, roleAsgBytes},
		{"RoleAssignment/answerer", &protocol.RoleAssignment{IsOfferer: proto.Bool(false), RemoteFixed: proto.Bool(false)},
			cat(fBool(1, false), fBool(2, false))},
		{"IceRestartRequest", &protocol.IceRestartRequest{Reason: proto.String("network_recovered")}, fString(1, "network_recovered")},
	}
}

func TestGoldenRelayed(t *testing.T) {
	runGolden(t, relayedGoldens())
	// An absent remote_fixed reads as actr's default, false.
	var ra protocol.RoleAssignment
	if err := proto.Unmarshal(fBool(1, true), &ra); err != nil || ra.GetRemoteFixed() || ra.RemoteFixed != nil {
		t.Errorf("RoleAssignment without remote_fixed: %v, %v", &ra, err)
	}
}

// flowGoldens pins every oneof case of the four flows, each with the flow's
// common fields set, and each flow inside a SignalingEnvelope.
func flowGoldens() []golden {
	cred, credBytes := goldenCredential()
	errResp, errBytes := goldenErrResp()
	regReq, regReqBytes := goldenRegisterRequest()
	regOk, regOkBytes := goldenRegisterOk()
	ping, pingBytes := goldenPing()
	pong, pongBytes := goldenPong()
	disc, discBytes := goldenDiscoveryOk()
	routeReq, routeReqBytes := goldenRouteCandidatesRequest()
	routeOk, routeOkBytes := goldenRouteCandidatesOk()
	spec, specBytes := goldenServiceSpec()
	typ, typBytes := goldenActrType()
	ice, iceBytes := goldenIceCandidate()
	sd, sdBytes := goldenSessionDescription()
	roleNeg, roleNegBytes := goldenRoleNegotiation()
	roleAsg, roleAsgBytes := goldenRoleAssignment()
	proof, proofBytes := goldenProof()

	var cases []golden

	// PeerToSignaling: 1 register_request.
	peer := &protocol.PeerToSignaling{Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: regReq}}
	peerBytes := fBytes(1, regReqBytes)
	cases = append(cases, golden{"PeerToSignaling/register_request", peer, peerBytes})

	// ActrToSignaling: 1 source, 2 credential, then the payload.
	actrHead := cat(fBytes(1, wantA()), fBytes(2, credBytes))
	for _, tc := range []struct {
		name string
		m    *protocol.ActrToSignaling
		want []byte
	}{
		{"unregister_request", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_UnregisterRequest{
			UnregisterRequest: &protocol.UnregisterRequest{ActrId: goldenA.Proto(), Reason: proto.String("bye")}}},
			fBytes(3, cat(fBytes(1, wantA()), fString(2, "bye")))},
		{"ping", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_Ping{Ping: ping}}, fBytes(4, pingBytes)},
		{"discovery_request", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_DiscoveryRequest{
			DiscoveryRequest: &protocol.DiscoveryRequest{Manufacturer: proto.String("acme")}}},
			fBytes(10, fString(1, "acme"))},
		{"route_candidates_request", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_RouteCandidatesRequest{
			RouteCandidatesRequest: routeReq}}, fBytes(11, routeReqBytes)},
		{"get_service_spec_request", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_GetServiceSpecRequest{
			GetServiceSpecRequest: &protocol.GetServiceSpecRequest{Name: proto.String("EchoService")}}},
			fBytes(12, fString(1, "EchoService"))},
		{"get_signing_key_request", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_GetSigningKeyRequest{
			GetSigningKeyRequest: &protocol.GetSigningKeyRequest{KeyId: proto.Uint32(3)}}},
			fBytes(13, fVarint(1, 3))},
		{"subscribe_actr_up_request", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_SubscribeActrUpRequest{
			SubscribeActrUpRequest: &protocol.SubscribeActrUpRequest{TargetType: typ}}},
			fBytes(20, fBytes(1, typBytes))},
		{"unsubscribe_actr_up_request", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_UnsubscribeActrUpRequest{
			UnsubscribeActrUpRequest: &protocol.UnsubscribeActrUpRequest{TargetType: typ}}},
			fBytes(21, fBytes(1, typBytes))},
		{"error", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_Error{Error: errResp}}, fBytes(30, errBytes)},
		// actr-go
		{"credential_renewal", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_CredentialRenewal{
			CredentialRenewal: &protocol.CredentialUpdateRequest{RenewalToken: []byte("renew-me")}}},
			fBytes(100, fBytes(1, []byte("renew-me")))},
		{"credential_renewal/empty", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_CredentialRenewal{
			CredentialRenewal: &protocol.CredentialUpdateRequest{}}}, fBytes(100, nil)},
		// actr-go: proof. Go's encoder writes a oneof after the other
		// fields, so it comes before the payload (TestGoldenFlows decodes
		// the other order too).
		{"ping/proof", &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_Ping{Ping: ping}, Proof: proof},
			cat(fBytes(101, proofBytes), fBytes(4, pingBytes))},
	} {
		tc.m.Source, tc.m.Credential = goldenA.Proto(), cred
		cases = append(cases, golden{"ActrToSignaling/" + tc.name, tc.m, cat(actrHead, tc.want)})
	}
	actrToServer := cases[len(cases)-1]

	// SignalingToActr: 1 target, then the payload.
	for _, tc := range []struct {
		name string
		m    *protocol.SignalingToActr
		want []byte
	}{
		{"register_response", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_RegisterResponse{
			RegisterResponse: &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Success{Success: regOk}}}},
			fBytes(2, fBytes(1, regOkBytes))},
		{"unregister_response", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_UnregisterResponse{
			UnregisterResponse: &protocol.UnregisterResponse{Result: &protocol.UnregisterResponse_Success{Success: &protocol.UnregisterOk{}}}}},
			fBytes(3, fBytes(1, nil))},
		{"pong", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_Pong{Pong: pong}}, fBytes(4, pongBytes)},
		{"discovery_response", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_DiscoveryResponse{
			DiscoveryResponse: &protocol.DiscoveryResponse{Result: &protocol.DiscoveryResponse_Success{Success: disc}}}},
			fBytes(10, fBytes(1, discBytes))},
		{"route_candidates_response", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_RouteCandidatesResponse{
			RouteCandidatesResponse: &protocol.RouteCandidatesResponse{Result: &protocol.RouteCandidatesResponse_Success{Success: routeOk}}}},
			fBytes(11, fBytes(1, routeOkBytes))},
		{"get_service_spec_response", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_GetServiceSpecResponse{
			GetServiceSpecResponse: &protocol.GetServiceSpecResponse{Result: &protocol.GetServiceSpecResponse_Success{Success: spec}}}},
			fBytes(12, fBytes(1, specBytes))},
		{"get_signing_key_response", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_GetSigningKeyResponse{
			GetSigningKeyResponse: &protocol.GetSigningKeyResponse{KeyId: proto.Uint32(3), Pubkey: signingKey}}},
			fBytes(13, cat(fVarint(1, 3), fBytes(2, signingKey)))},
		{"subscribe_actr_up_response", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_SubscribeActrUpResponse{
			SubscribeActrUpResponse: &protocol.SubscribeActrUpResponse{Result: &protocol.SubscribeActrUpResponse_Error{Error: errResp}}}},
			fBytes(20, fBytes(2, errBytes))},
		{"unsubscribe_actr_up_response", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_UnsubscribeActrUpResponse{
			UnsubscribeActrUpResponse: &protocol.UnsubscribeActrUpResponse{Result: &protocol.UnsubscribeActrUpResponse_Success{Success: &protocol.UnsubscribeActrUpOk{}}}}},
			fBytes(21, fBytes(1, nil))},
		{"actr_up_event", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_ActrUpEvent{
			ActrUpEvent: &protocol.ActrUpEvent{ActorId: goldenB.Proto()}}}, fBytes(22, fBytes(1, wantB()))},
		{"error", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_Error{Error: errResp}}, fBytes(30, errBytes)},
		// actr-go
		{"actr_down_event", &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_ActrDownEvent{
			ActrDownEvent: &protocol.ActrDownEvent{ActorId: goldenB.Proto()}}}, fBytes(100, fBytes(1, wantB()))},
	} {
		tc.m.Target = goldenA.Proto()
		cases = append(cases, golden{"SignalingToActr/" + tc.name, tc.m, cat(fBytes(1, wantA()), tc.want)})
	}
	serverToActr := cases[len(cases)-1]

	// ActrRelay: 1 source, 2 credential, 3 target, then the payload.
	relayHead := cat(fBytes(1, wantA()), fBytes(2, credBytes), fBytes(3, wantB()))
	for _, tc := range []struct {
		name string
		m    *protocol.ActrRelay
		want []byte
	}{
		{"ice_candidate", &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: ice}}, fBytes(10, iceBytes)},
		{"session_description", &protocol.ActrRelay{Payload: &protocol.ActrRelay_SessionDescription{SessionDescription: sd}}, fBytes(11, sdBytes)},
		{"role_negotiation", &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleNegotiation{RoleNegotiation: roleNeg}}, fBytes(12, roleNegBytes)},
		{"role_assignment", &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleAssignment{RoleAssignment: roleAsg}}, fBytes(13, roleAsgBytes)},
		{"ice_restart_request", &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceRestartRequest{
			IceRestartRequest: &protocol.IceRestartRequest{Reason: proto.String("network_recovered")}}},
			fBytes(14, fString(1, "network_recovered"))},
		// actr-go: proof, before the payload as with ActrToSignaling.proof.
		{"ice_candidate/proof", &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: ice}, Proof: proof},
			cat(fBytes(100, proofBytes), fBytes(10, iceBytes))},
	} {
		tc.m.Source, tc.m.Credential, tc.m.Target = goldenA.Proto(), cred, goldenB.Proto()
		cases = append(cases, golden{"ActrRelay/" + tc.name, tc.m, cat(relayHead, tc.want)})
	}
	relay := cases[len(cases)-1]

	// SignalingEnvelope: 1 envelope_version, 2 envelope_id, 3 reply_for,
	// (4 retired), 5 traceparent, 6 tracestate, then the flow.
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	envHead := cat(fVarint(1, 2), fString(2, "env-2"), fString(3, "env-1"), fString(5, traceparent), fString(6, "vendor=1"))
	envelope := func(e *protocol.SignalingEnvelope) *protocol.SignalingEnvelope {
		e.EnvelopeVersion = proto.Uint32(2)
		e.EnvelopeId = proto.String("env-2")
		e.ReplyFor = proto.String("env-1")
		e.Traceparent = proto.String(traceparent)
		e.Tracestate = proto.String("vendor=1")
		return e
	}
	cases = append(cases,
		golden{"SignalingEnvelope/peer_to_server", envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_PeerToServer{PeerToServer: peer}}),
			cat(envHead, fBytes(10, peerBytes))},
		golden{"SignalingEnvelope/actr_to_server", envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrToServer{
			ActrToServer: actrToServer.m.(*protocol.ActrToSignaling)}}), cat(envHead, fBytes(11, actrToServer.want))},
		golden{"SignalingEnvelope/server_to_actr", envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ServerToActr{
			ServerToActr: serverToActr.m.(*protocol.SignalingToActr)}}), cat(envHead, fBytes(12, serverToActr.want))},
		golden{"SignalingEnvelope/actr_relay", envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrRelay{
			ActrRelay: relay.m.(*protocol.ActrRelay)}}), cat(envHead, fBytes(13, relay.want))},
		golden{"SignalingEnvelope/envelope_error", envelope(&protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_EnvelopeError{EnvelopeError: errResp}}),
			cat(envHead, fBytes(14, errBytes))},
	)
	return cases
}

func TestGoldenFlows(t *testing.T) {
	runGolden(t, flowGoldens())

	// An envelope from an older sender with the retired timestamp (field 4)
	// still decodes; the field is kept as unknown, never read.
	var env protocol.SignalingEnvelope
	old := cat(fVarint(1, 1), fString(2, "e"), fBytes(4, fVarint(1, 1700000000)))
	if err := proto.Unmarshal(old, &env); err != nil || env.GetEnvelopeId() != "e" || len(env.ProtoReflect().GetUnknown()) == 0 {
		t.Errorf("envelope with the retired timestamp: %v, %v", &env, err)
	}

	// actr-go: a sender that writes fields in number order puts the proof
	// after the payload; it decodes the same.
	proof, proofBytes := goldenProof()
	ping, pingBytes := goldenPing()
	ice, iceBytes := goldenIceCandidate()
	var toServer protocol.ActrToSignaling
	if err := proto.Unmarshal(cat(fBytes(4, pingBytes), fBytes(101, proofBytes)), &toServer); err != nil ||
		!proto.Equal(toServer.GetPing(), ping) || !proto.Equal(toServer.GetProof(), proof) {
		t.Errorf("ActrToSignaling with the proof after the payload: %v, %v", &toServer, err)
	}
	var relay protocol.ActrRelay
	if err := proto.Unmarshal(cat(fBytes(10, iceBytes), fBytes(100, proofBytes)), &relay); err != nil ||
		!proto.Equal(relay.GetIceCandidate(), ice) || !proto.Equal(relay.GetProof(), proof) {
		t.Errorf("ActrRelay with the proof after the payload: %v, %v", &relay, err)
	}
}
