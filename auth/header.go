package auth

import (
	"encoding/base64"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// MaxHeaderLen bounds the header form of a credential, in bytes. A genuine
// credential needs under 900.
const MaxHeaderLen = 4096

// EncodeHeader returns cred in the form carried by the X-Actr-Credential
// WebSocket handshake header: standard, padded base64 of the
// deterministically marshalled AIdCredential, as the actr runtime writes it. The result is a bearer secret: do not log it.
func EncodeHeader(cred *protocol.AIdCredential) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(cred)
	if err != nil {
		return "" // an AIdCredential has no field that can fail to marshal
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeHeader parses the header form of a credential. It checks the form
// only (use a [Verifier] to check the credential), and refuses, with a
// [*VerifyError] wrapping [ErrMalformed], text over [MaxHeaderLen] bytes
// before decoding anything, any byte outside the standard base64 alphabet
// and its padding (line breaks included), missing padding, non-canonical
// base64 and bytes that are not an AIdCredential.
func DecodeHeader(s string) (*protocol.AIdCredential, error) {
	bad := func(format string, args ...any) (*protocol.AIdCredential, error) {
		return nil, refuse(ErrMalformed, 0, protocol.ActorID{}, "X-Actr-Credential header: "+format, args...)
	}
	if len(s) > MaxHeaderLen {
		return bad("%d bytes, over the %d-byte limit", len(s), MaxHeaderLen)
	}
	for i := 0; i < len(s); i++ {
		if !base64StdByte(s[i]) {
			return bad("byte %d is not in the standard base64 alphabet", i)
		}
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return bad("not canonical, padded standard base64")
	}
	var cred protocol.AIdCredential
	if err := proto.Unmarshal(b, &cred); err != nil {
		return bad("not an AIdCredential message")
	}
	return &cred, nil
}

func base64StdByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}
