package signaling

import (
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// signingKey answers actr's get_signing_key_request: the public half of
// the key that signs credentials, by key id, for verifying them offline.
// The server knows one signing key, its Issuer's; any other id is 404.
func (s *Server) signingKey(req *protocol.GetSigningKeyRequest) (*protocol.SignalingToActr, *protocol.ErrorResponse) {
	if req.KeyId == nil {
		s.counters.Malformed.Add(1)
		return nil, errorResponse(CodeBadRequest, "get_signing_key_request needs a key_id")
	}
	if id := req.GetKeyId(); id != s.cfg.Issuer.KeyID() {
		return nil, errf(CodeNotFound, "no signing key with id %d here (this server signs with key id %d)", id, s.cfg.Issuer.KeyID())
	}
	return &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_GetSigningKeyResponse{GetSigningKeyResponse: &protocol.GetSigningKeyResponse{
		KeyId: proto.Uint32(s.cfg.Issuer.KeyID()), Pubkey: s.cfg.Issuer.PublicKey()}}}, nil
}
