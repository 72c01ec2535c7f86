package signaling

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// SocketPath is actr's signaling socket: GET
// SocketPath?actor_id=…&key_id=…&claims=…&signature=…[&webrtc_role=answer],
// the identity checked before the upgrade (400: missing or malformed
// parameters; 401: a credential that is forged, expired or not the
// actor's). The connection is then that actor's.
//
// actor_id is actr's text form "<serial hex>@<realm>/<mfr>:<name>:<version>"
// (our own text form is accepted too); key_id is decimal; claims and
// signature are the credential's bytes in base64, which actr's client
// writes in the standard alphabet with padding (then form-encoded in the
// query). The server accepts the standard and the URL-safe alphabet,
// padded or not.
const SocketPath = "/signaling/ws"

// Query parameters of SocketPath.
const (
	QueryActorID    = "actor_id"
	QueryKeyID      = "key_id"
	QueryClaims     = "claims"
	QuerySignature  = "signature"
	QueryWebRTCRole = "webrtc_role"
	// QueryProof (ours) carries a proof of possession of the holder key
	// of a holder-bound credential, made for this server: standard
	// base64 of an encoded ProofOfPossession. actr's nodes send none (their
	// credentials are bearer ones, accepted only with AllowBearer).
	QueryProof = "proof"
	// WebRTCRoleAnswer asks never to be the offerer of a WebRTC session.
	WebRTCRoleAnswer = "answer"
)

// maxCredentialPart bounds the decoded claims and signature of a query.
const maxCredentialPart = 4 << 10

func isSocketPath(p string) bool { return strings.HasSuffix(p, SocketPath) }

// serveQuerySocket opens a signaling socket for the actor its query
// names, once its credential is verified.
func (s *Server) serveQuerySocket(w http.ResponseWriter, r *http.Request, addr *addrState) {
	if r.Method != http.MethodGet {
		s.counters.refuse(RefusedHTTPMethod)
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "the signaling socket is a WebSocket upgrade (GET)", http.StatusMethodNotAllowed)
		return
	}
	id, cred, proof, answerOnly, err := parseSocketQuery(r.URL.Query())
	if err != nil {
		s.counters.Malformed.Add(1)
		s.counters.refuse(RefusedSocketQuery)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	claims, refusal := s.checkPresented(id, cred, proof)
	if refusal != nil {
		s.counters.refuse(RefusedSocketCredential)
		s.log.Info("signaling socket refused: credential", "actor", id.String(), "err", refusal.GetMessage())
		http.Error(w, refusal.GetMessage(), http.StatusUnauthorized)
		return
	}
	ss := s.upgrade(w, r, addr, admissionOf(r.Header))
	if ss == nil {
		return
	}
	ss.query, ss.answerOnly = true, answerOnly
	if _, refusal := ss.bindVerified(id, claims, time.Now()); refusal != nil {
		// Only the actor's rate limit can refuse a verified identity.
		ss.close(DisconnectPeer, websocket.StatusTryAgainLater, refusal.GetMessage())
	}
	ss.run()
}

// parseSocketQuery reads the identity of a SocketPath query, and the
// proof of possession (ours) when there is one.
func parseSocketQuery(q url.Values) (protocol.ActorID, *protocol.AIdCredential, *protocol.ProofOfPossession, bool, error) {
	get := func(k string) (string, error) {
		vs := q[k]
		if len(vs) != 1 || vs[0] == "" {
			return "", errors.New("the query needs exactly one " + k)
		}
		return vs[0], nil
	}
	text, err := get(QueryActorID)
	if err != nil {
		return protocol.ActorID{}, nil, nil, false, err
	}
	id, err := protocol.ParseActrString(text)
	if err != nil {
		if id, err = protocol.ParseActorID(text); err != nil {
			return protocol.ActorID{}, nil, nil, false, errors.New("actor_id is not an actor id (<serial hex>@<realm>/<manufacturer>:<name>:<version>)")
		}
	}
	kt, err := get(QueryKeyID)
	if err != nil {
		return protocol.ActorID{}, nil, nil, false, err
	}
	keyID, err := strconv.ParseUint(kt, 10, 32)
	if err != nil {
		return protocol.ActorID{}, nil, nil, false, errors.New("key_id is not a decimal uint32")
	}
	var parts [2][]byte
	for i, k := range []string{QueryClaims, QuerySignature} {
		v, err := get(k)
		if err != nil {
			return protocol.ActorID{}, nil, nil, false, err
		}
		if parts[i], err = decodeBase64(v); err != nil {
			return protocol.ActorID{}, nil, nil, false, errors.New(k + " is not base64 of at most 4 KiB")
		}
	}
	answerOnly := false
	switch vs := q[QueryWebRTCRole]; {
	case len(vs) == 0:
	case len(vs) == 1 && vs[0] == WebRTCRoleAnswer:
		answerOnly = true
	case len(vs) == 1 && (vs[0] == "" || vs[0] == "offer" || vs[0] == "any"):
	default:
		return protocol.ActorID{}, nil, nil, false, errors.New("webrtc_role, when given, is answer")
	}
	var proof *protocol.ProofOfPossession
	if vs := q[QueryProof]; len(vs) > 0 {
		b, err := decodeBase64(vs[0])
		proof = &protocol.ProofOfPossession{}
		if len(vs) != 1 || err != nil || proto.Unmarshal(b, proof) != nil {
			return protocol.ActorID{}, nil, nil, false, errors.New("proof, when given, is one base64 ProofOfPossession of at most 4 KiB")
		}
	}
	cred := &protocol.AIdCredential{KeyId: proto.Uint32(uint32(keyID)), Claims: parts[0], Signature: parts[1]}
	return id, cred, proof, answerOnly, nil
}

// decodeBase64 decodes standard or URL-safe base64, padded or not.
func decodeBase64(v string) ([]byte, error) {
	if base64.StdEncoding.DecodedLen(len(v)) > maxCredentialPart+2 {
		return nil, errors.New("too long")
	}
	v = strings.TrimRight(v, "=")
	if strings.ContainsAny(v, "-_") {
		return base64.RawURLEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}
