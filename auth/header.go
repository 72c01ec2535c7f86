package auth

import (
	"encoding/base64"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// MaxHeaderLen bounds the header form of a credential.
const MaxHeaderLen = 4096

// EncodeHeader returns cred in the form carried by the X-Actr-Credential
// handshake header: unpadded base64url of the marshalled AIdCredential.
func EncodeHeader(cred *protocol.AIdCredential) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(cred)
	if err != nil {
		return "" // an AIdCredential has no field that can fail to marshal
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeHeader parses the header form of a credential. It checks the form
// only; Verify checks the credential.
func DecodeHeader(s string) (*protocol.AIdCredential, error) {
	if len(s) > MaxHeaderLen {
		return nil, fmt.Errorf("%w: header of %d bytes, over %d", ErrMalformed, len(s), MaxHeaderLen)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: header is not unpadded base64url", ErrMalformed)
	}
	var cred protocol.AIdCredential
	if err := proto.Unmarshal(b, &cred); err != nil {
		return nil, fmt.Errorf("%w: header is not an AIdCredential", ErrMalformed)
	}
	return &cred, nil
}
