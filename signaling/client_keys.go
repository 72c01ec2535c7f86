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

// ServiceSpec fetches the spec of the service called name that an actor
// of the client's realm registered (actr's get_service_spec). A name no
// actor registered is an *ErrorResponseError with code 404.
func (c *Client) ServiceSpec(ctx context.Context, name string) (*protocol.ServiceSpec, error) {
	out, err := c.actorCall(ctx, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_GetServiceSpecRequest{
		GetServiceSpecRequest: &protocol.GetServiceSpecRequest{Name: proto.String(name)}}})
	if err != nil {
		return nil, fmt.Errorf("signaling: service spec %q: %w", name, err)
	}
	r := out.GetGetServiceSpecResponse()
	if e := r.GetError(); e != nil {
		return nil, fmt.Errorf("signaling: service spec %q: %w", name, &ErrorResponseError{Code: e.GetCode(), Message: e.GetMessage()})
	}
	if r.GetSuccess() == nil {
		return nil, fmt.Errorf("signaling: the server answered a service spec request with neither a spec nor an error")
	}
	return r.GetSuccess(), nil
}
