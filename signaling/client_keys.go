package signaling

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// SigningKey asks the server for the public key with id keyID that signs
// its credentials (actr's get_signing_key), for verifying credentials
// offline, as gates do.
func (c *Client) SigningKey(ctx context.Context, keyID uint32) (ed25519.PublicKey, error) {
	out, err := c.actorCall(ctx, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_GetSigningKeyRequest{
		GetSigningKeyRequest: &protocol.GetSigningKeyRequest{KeyId: proto.Uint32(keyID)}}})
	if err != nil {
		return nil, fmt.Errorf("signaling: signing key %d: %w", keyID, err)
	}
	r := out.GetGetSigningKeyResponse()
	if r.GetKeyId() != keyID || len(r.GetPubkey()) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("signaling: the server answered for signing key %d with key id %d and a %d-byte key", keyID, r.GetKeyId(), len(r.GetPubkey()))
	}
	return ed25519.PublicKey(r.GetPubkey()), nil
}
