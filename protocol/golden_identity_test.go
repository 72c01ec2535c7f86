package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/actr-go/actr/protocol"
)

// Golden bytes for every message of actr.proto and webrtc.proto, built by
// hand from actr's field numbers and wire types (see golden_test.go). Each
// golden* fixture returns a fully populated message and its expected
// encoding, so the signaling tests can nest them.

type golden struct {
	name string
	m    proto.Message
	want []byte
}

func runGolden(t *testing.T, cases []golden) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkGolden(t, tc.m, tc.want) })
	}
}

// The ids of the golden tests: A is the actr runtime's own example,
// 1a2b3c@101/acme:echo-service:1.0.0.
var (
	goldenA = protocol.ActorID{Realm: 101, Serial: 0x1a2b3c, Manufacturer: "acme", Name: "echo-service", Version: "1.0.0"}
	goldenB = protocol.ActorID{Realm: 101, Serial: 7, Manufacturer: "acme", Name: "client", Version: "2.1.0"}
)

func wantA() []byte { return wantActrIDOf(101, 0x1a2b3c, "acme", "echo-service", "1.0.0") }
func wantB() []byte { return wantActrIDOf(101, 7, "acme", "client", "2.1.0") }

func goldenActrType() (*protocol.ActrType, []byte) {
	return &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("echo-service"), Version: proto.String("1.0.0")},
		cat(fString(1, "acme"), fString(2, "echo-service"), fString(3, "1.0.0"))
}

func goldenClientType() (*protocol.ActrType, []byte) {
	return &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("client"), Version: proto.String("2.1.0")},
		cat(fString(1, "acme"), fString(2, "client"), fString(3, "2.1.0"))
}

var (
	holderKey  = bytes.Repeat([]byte{0x11}, 32)
	signingKey = bytes.Repeat([]byte{0x22}, 32)
	signature  = bytes.Repeat([]byte{0x5a}, 64)
)

func goldenIdentityClaims() (*protocol.IdentityClaims, []byte) {
	return &protocol.IdentityClaims{
			RealmId:   proto.Uint32(101),
			ActorId:   proto.String("1a2b3c@101/acme:echo-service:1.0.0"),
			ExpiresAt: proto.Uint64(1735787045),
			HolderKey: holderKey,
			IssuedAt:  proto.Uint64(1735783445),
		}, cat(
			fVarint(1, 101), // realm_id
			fString(2, "1a2b3c@101/acme:echo-service:1.0.0"), // actor_id
			fVarint(3, 1735787045),                           // expires_at
			fBytes(100, holderKey),                           // actr-go: holder_key
			fVarint(101, 1735783445),                         // actr-go: issued_at
		)
}

func goldenCredential() (*protocol.AIdCredential, []byte) {
	_, claims := goldenIdentityClaims()
	return &protocol.AIdCredential{KeyId: proto.Uint32(3), Claims: claims, Signature: signature},
		cat(fVarint(1, 3), fBytes(2, claims), fBytes(3, signature))
}

// actr-go: a proof of possession of the credential's holder key, made for
// a signaling server; its body is exactly the ProofBody encoding.
const proofAudience = "signaling.example.com"

var proofNonce = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

func goldenProofBody() (*protocol.ProofBody, []byte) {
	_, claims := goldenIdentityClaims()
	sum := sha256.Sum256(claims)
	return &protocol.ProofBody{
			Source:       goldenA.Proto(),
			Audience:     proto.String(proofAudience),
			TimestampMs:  proto.Uint64(1735783446000),
			Nonce:        proofNonce,
			ClaimsSha256: sum[:],
		}, cat(
			fBytes(1, wantA()),        // source
			fString(2, proofAudience), // audience
			fVarint(3, 1735783446000), // timestamp_ms
			fBytes(4, proofNonce),     // nonce
			fBytes(5, sum[:]),         // claims_sha256
		)
}

func goldenProof() (*protocol.ProofOfPossession, []byte) {
	_, body := goldenProofBody()
	return &protocol.ProofOfPossession{Body: body, Signature: signature},
		cat(
			fBytes(1, body),      // body
			fBytes(2, signature), // signature
		)
}

func goldenTurnCredential() (*protocol.TurnCredential, []byte) {
	return &protocol.TurnCredential{
			Username:  proto.String("1735787045:1a2b3c@101/acme:echo-service:1.0.0"),
			Password:  proto.String("c2VjcmV0"),
			ExpiresAt: proto.Uint64(1735787045),
		}, cat(
			fString(1, "1735787045:1a2b3c@101/acme:echo-service:1.0.0"),
			fString(2, "c2VjcmV0"),
			fVarint(3, 1735787045),
		)
}

func goldenServiceSpec() (*protocol.ServiceSpec, []byte) {
	return &protocol.ServiceSpec{
			Name:        proto.String("EchoService"),
			Description: proto.String("says it back"),
			Fingerprint: proto.String("sha256:abcd"),
			Protobufs: []*protocol.ServiceSpec_Protobuf{
				{Package: proto.String("echo.v1"), Content: proto.String("package echo.v1;"), Fingerprint: proto.String("sha256:ef01")},
				{Package: proto.String("echo.v2"), Content: proto.String(""), Fingerprint: proto.String("sha256:0000")},
			},
			PublishedAt: proto.Int64(1735787045),
			Tags:        []string{"latest", "stable"},
		}, cat(
			fString(1, "EchoService"),
			fString(2, "says it back"),
			fString(3, "sha256:abcd"),
			fBytes(4, cat(fString(1, "echo.v1"), fString(2, "package echo.v1;"), fString(3, "sha256:ef01"))),
			fBytes(4, cat(fString(1, "echo.v2"), fString(2, ""), fString(3, "sha256:0000"))),
			fInt64(5, 1735787045),
			fString(6, "latest"),
			fString(6, "stable"),
		)
}

func goldenServiceLocation() (*protocol.ServiceLocation, []byte) {
	return &protocol.ServiceLocation{Region: proto.String("cn-beijing"), Latitude: proto.Float64(39.9042), Longitude: proto.Float64(-116.4074)},
		cat(fString(1, "cn-beijing"), fDouble(2, 39.9042), fDouble(3, -116.4074))
}

func goldenAcl() (*protocol.Acl, []byte) {
	_, client := goldenClientType()
	return &protocol.Acl{Rules: []*protocol.AclRule{
			{
				Permission:  protocol.AclRule_ALLOW.Enum(),
				FromType:    msgOf(goldenClientType()),
				SourceRealm: &protocol.AclRule_AnyRealm{AnyRealm: true},
			},
			{
				Permission:  protocol.AclRule_DENY.Enum(),
				FromType:    msgOf(goldenClientType()),
				SourceRealm: &protocol.AclRule_RealmId{RealmId: 9},
			},
		}}, cat(
			fBytes(1, cat(fVarint(1, 1), fBytes(2, client), fBool(3, true))), // ALLOW, any_realm
			fBytes(1, cat(fVarint(1, 0), fBytes(2, client), fVarint(4, 9))),  // DENY, realm_id 9
		)
}

// msgOf and bytesOf take one half of a fixture.
func msgOf[M proto.Message](m M, _ []byte) M { return m }

func bytesOf[M proto.Message](_ M, b []byte) []byte { return b }

func goldenErrResp() (*protocol.ErrorResponse, []byte) {
	return &protocol.ErrorResponse{Code: proto.Uint32(403), Message: proto.String("forbidden")},
		cat(fVarint(1, 403), fString(2, "forbidden"))
}

// goldenMetadata returns two entries and the encoding of each (an empty
// value is still sent: proto2 presence).
func goldenMetadata() ([]*protocol.MetadataEntry, [2][]byte) {
	return []*protocol.MetadataEntry{
			{Key: proto.String("tenant"), Value: proto.String("t1")},
			{Key: proto.String("empty"), Value: proto.String("")},
		}, [2][]byte{
			cat(fString(1, "tenant"), fString(2, "t1")),
			cat(fString(1, "empty"), fString(2, "")),
		}
}

func goldenIceCandidate() (*protocol.IceCandidate, []byte) {
	const cand = "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host"
	return &protocol.IceCandidate{
			Candidate:        proto.String(cand),
			SdpMid:           proto.String("0"),
			SdpMlineIndex:    proto.Uint32(1),
			UsernameFragment: proto.String("ufrag"),
		}, cat(
			fString(1, cand),
			fString(2, "0"),
			fVarint(3, 1),
			fString(4, "ufrag"),
		)
}

func goldenSessionDescription() (*protocol.SessionDescription, []byte) {
	return &protocol.SessionDescription{
			Type:          protocol.SessionDescription_RENEGOTIATION_OFFER.Enum(),
			Sdp:           proto.String("v=0\r\n"),
			SdpExchangeId: proto.String("0123456789abcdef"),
		}, cat(
			fVarint(1, 2),
			fString(2, "v=0\r\n"),
			fString(3, "0123456789abcdef"),
		)
}
func identityGoldens() []golden {
	claims, claimsBytes := goldenIdentityClaims()
	cred, credBytes := goldenCredential()
	turn, turnBytes := goldenTurnCredential()
	typ, typBytes := goldenActrType()
	spec, specBytes := goldenServiceSpec()
	loc, locBytes := goldenServiceLocation()
	acl, aclBytes := goldenAcl()
	errResp, errBytes := goldenErrResp()
	proofBody, proofBodyBytes := goldenProofBody()
	proof, proofBytes := goldenProof()
	return []golden{
		{"Realm", &protocol.Realm{RealmId: proto.Uint32(101)}, fVarint(1, 101)},
		{"Realm/max", &protocol.Realm{RealmId: proto.Uint32(1<<32 - 1)}, fVarint(1, 1<<32-1)},
		{"ActrType", typ, typBytes},
		{"ActrId", goldenA.Proto(), wantA()},
		{"ActrId/max", protocol.ActorID{Realm: 1<<32 - 1, Serial: 1<<64 - 1, Manufacturer: "m", Name: "n", Version: "v"}.Proto(),
			wantActrIDOf(1<<32-1, 1<<64-1, "m", "n", "v")},
		{"IdentityClaims", claims, claimsBytes},
		{"AIdCredential", cred, credBytes},
		{"TurnCredential", turn, turnBytes},
		// actr-go: carried in ActrToSignaling.101 and ActrRelay.100.
		{"ProofBody", proofBody, proofBodyBytes},
		{"ProofOfPossession", proof, proofBytes},
		{"ServiceSpec", spec, specBytes},
		{"ServiceSpec.Protobuf", spec.Protobufs[0], cat(fString(1, "echo.v1"), fString(2, "package echo.v1;"), fString(3, "sha256:ef01"))},
		{"ServiceLocation", loc, locBytes},
		{"AclRule/any_realm", acl.Rules[0], cat(fVarint(1, 1), fBytes(2, bytesOf(goldenClientType())), fBool(3, true))},
		{"AclRule/realm_id", acl.Rules[1], cat(fVarint(1, 0), fBytes(2, bytesOf(goldenClientType())), fVarint(4, 9))},
		{"Acl", acl, aclBytes},
		{"ErrorResponse", errResp, errBytes},
		{"MetadataEntry", &protocol.MetadataEntry{Key: proto.String("k"), Value: proto.String("v")}, cat(fString(1, "k"), fString(2, "v"))},
	}
}

func TestGoldenIdentityMessages(t *testing.T) {
	runGolden(t, identityGoldens())
	claims, cred := msgOf(goldenIdentityClaims()), msgOf(goldenCredential())
	// What the credential signs is exactly the IdentityClaims encoding.
	var back protocol.IdentityClaims
	if err := proto.Unmarshal(cred.GetClaims(), &back); err != nil || !proto.Equal(&back, claims) {
		t.Errorf("claims of the credential decode as %v, %v; want %v", &back, err, claims)
	}
	// The claims name the id in actr's text form.
	if id, err := protocol.ParseActrString(claims.GetActorId()); err != nil || id != goldenA {
		t.Errorf("claims.actor_id %q parses as %#v, %v; want %#v", claims.GetActorId(), id, err, goldenA)
	}
	// actr-go: the proof's body is exactly the ProofBody encoding, and it
	// names the credential's claims by their SHA-256.
	body, proof := msgOf(goldenProofBody()), msgOf(goldenProof())
	var backBody protocol.ProofBody
	if err := proto.Unmarshal(proof.GetBody(), &backBody); err != nil || !proto.Equal(&backBody, body) {
		t.Errorf("body of the proof decodes as %v, %v; want %v", &backBody, err, body)
	}
	if sum := sha256.Sum256(cred.GetClaims()); !bytes.Equal(body.GetClaimsSha256(), sum[:]) {
		t.Errorf("proof claims_sha256 = %x, want %x", body.GetClaimsSha256(), sum)
	}
}

func dataLaneGoldens() []golden {
	errResp, errBytes := goldenErrResp()
	md, mdBytes := goldenMetadata()
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	return []golden{
		{"RpcEnvelope", &protocol.RpcEnvelope{
			RouteKey:    proto.String("echo.Echo/Say"),
			Payload:     []byte("hi"),
			Error:       errResp,
			Direction:   protocol.RpcEnvelope_DIRECTION_RESPONSE.Enum(),
			Traceparent: proto.String(traceparent),
			Tracestate:  proto.String("vendor=1"),
			RequestId:   proto.String("req-1"),
			Metadata:    md,
			TimeoutMs:   proto.Int64(0),
		}, cat(
			fString(1, "echo.Echo/Say"),
			fBytes(2, []byte("hi")),
			fBytes(3, errBytes),
			fVarint(4, 2),
			fString(100, traceparent),
			fString(101, "vendor=1"),
			fString(102, "req-1"),
			fBytes(103, mdBytes[0]),
			fBytes(103, mdBytes[1]),
			fInt64(104, 0),
		)},
		{"RpcEnvelope/negative timeout", &protocol.RpcEnvelope{TimeoutMs: proto.Int64(-1)}, fInt64(104, -1)},
		{"DataChunk", &protocol.DataChunk{
			StreamId:    proto.String("s-1"),
			Sequence:    proto.Uint64(1 << 40),
			Payload:     []byte{0, 1, 2},
			Metadata:    md,
			TimestampMs: proto.Int64(1735787045000),
		}, cat(
			fString(1, "s-1"),
			fVarint(2, 1<<40),
			fBytes(3, []byte{0, 1, 2}),
			fBytes(4, mdBytes[0]),
			fBytes(4, mdBytes[1]),
			fInt64(5, 1735787045000),
		)},
		{"DataChunk/negative timestamp", &protocol.DataChunk{TimestampMs: proto.Int64(-2)}, fInt64(5, -2)},
	}
}

func TestGoldenDataLanes(t *testing.T) { runGolden(t, dataLaneGoldens()) }

func webrtcGoldens() []golden {
	ice, iceBytes := goldenIceCandidate()
	sd, sdBytes := goldenSessionDescription()
	cases := []golden{
		{"IceCandidate", ice, iceBytes},
		{"SessionDescription", sd, sdBytes},
	}
	for _, tc := range []struct {
		typ protocol.SessionDescription_Type
		n   uint64
	}{
		{protocol.SessionDescription_OFFER, 0}, {protocol.SessionDescription_ANSWER, 1},
		{protocol.SessionDescription_RENEGOTIATION_OFFER, 2}, {protocol.SessionDescription_ICE_RESTART_OFFER, 3},
	} {
		cases = append(cases, golden{"SessionDescription/" + tc.typ.String(),
			&protocol.SessionDescription{Type: tc.typ.Enum(), Sdp: proto.String("v=0"), SdpExchangeId: proto.String("x")},
			cat(fVarint(1, tc.n), fString(2, "v=0"), fString(3, "x"))})
	}
	return cases
}

func TestGoldenWebRTCMessages(t *testing.T) { runGolden(t, webrtcGoldens()) }

// allGoldens is every golden case of the package's golden tests.
func allGoldens() []golden {
	var all []golden
	for _, f := range []func() []golden{
		identityGoldens, dataLaneGoldens, webrtcGoldens,
		registrationGoldens, heartbeatGoldens, discoveryGoldens, presenceGoldens, relayedGoldens, flowGoldens,
	} {
		all = append(all, f()...)
	}
	return all
}

// TestGoldenCoversEveryMessage keeps the golden tests whole: every message
// of the three .proto files is the subject of a golden case, and every one
// of its fields (so every oneof case) is set in one of them.
func TestGoldenCoversEveryMessage(t *testing.T) {
	set := map[protoreflect.FullName]bool{} // messages and fields pinned
	for _, g := range allGoldens() {
		m := g.m.ProtoReflect()
		set[m.Descriptor().FullName()] = true
		m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			set[fd.FullName()] = true
			return true
		})
	}
	var check func(mds protoreflect.MessageDescriptors)
	check = func(mds protoreflect.MessageDescriptors) {
		for i := 0; i < mds.Len(); i++ {
			md := mds.Get(i)
			if !set[md.FullName()] {
				t.Errorf("no golden case for message %s", md.FullName())
			} else {
				for j := 0; j < md.Fields().Len(); j++ {
					if fd := md.Fields().Get(j); !set[fd.FullName()] {
						t.Errorf("no golden case of %s sets %s", md.FullName(), fd.Name())
					}
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
