// Package protocol holds the wire messages of actr-go and the small value
// types the rest of the runtime uses to talk about them.
//
// # Messages
//
// The protobuf messages are generated from protocol/proto/*.proto (proto2),
// which follow the actr runtime's field numbers so the two interoperate:
//
//   - actr.proto (proto package actr): identity ([ActrId], [ActrType], [Realm]),
//     credentials ([AIdCredential] over [IdentityClaims], [TurnCredential]),
//     what an actor serves and admits ([ServiceSpec], [Acl]), [ErrorResponse],
//     [PayloadType] and the envelopes that travel on data lanes ([RpcEnvelope],
//     [DataChunk]).
//   - webrtc.proto (proto package webrtc): [IceCandidate] and
//     [SessionDescription], relayed through signaling.
//   - signaling.proto (proto package signaling): [SignalingEnvelope] and
//     everything it carries: registration, credentials, heartbeat
//     ([Ping]/[Pong]), discovery, route candidates, presence
//     ([ActrUpEvent], and our own [ActrDownEvent]) and the relay of WebRTC session messages ([ActrRelay],
//     including [RoleNegotiation] and [RoleAssignment]).
//
// All three proto packages generate into this one Go package. Fields are
// proto2 optionals: use the generated getters, and [proto.String] and friends
// to set them. Messages decoded from untrusted bytes are checked by the code
// that uses them (for example [ActorIDFromProto]), not by the decoder.
//
// # Helpers
//
// [ActorID] is the comparable value form of an [ActrId], usable as a map key,
// with a text form `manufacturer:name:version@realm.serial` (see
// [ActorID.String] and [ParseActorID]), and the actr runtime's own text form
// `<serial hex>@<realm>/<manufacturer>:<name>:<version>`, the one credentials
// carry (see [ActorID.ActrString] and [ParseActrString]). [RPCReliable], [RPCSignal], [StreamReliable],
// [StreamLatencyFirst] and [MediaRTP] are short names for the [PayloadType]
// values; [PayloadTypeCount] sizes arrays indexed by PayloadType and
// [DataPayloadTypes] lists the types that travel on data lanes.
//
// # Regenerating
//
// The generated *.pb.go files are committed. After editing a .proto, run
// `go generate ./protocol` (which runs scripts/genproto.sh; see its header for
// how protoc and protoc-gen-go are obtained and pinned).
//
// [proto.String]: https://pkg.go.dev/google.golang.org/protobuf/proto#String
package protocol

//go:generate bash ../scripts/genproto.sh

// EnvelopeVersion is the SignalingEnvelope.envelope_version of the actr
// runtime's protocol that this package speaks.
const EnvelopeVersion = 2
