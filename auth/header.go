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
	return encodeHeaderMessage(cred)
}

// DecodeHeader parses the header form of a credential. It checks the form
// only (use a [Verifier] to check the credential), and refuses, with a
// [*VerifyError] wrapping [ErrMalformed], text over [MaxHeaderLen] bytes
// before decoding anything, any byte outside the standard base64 alphabet
// and its padding (line breaks included), missing padding, non-canonical
// base64 and bytes that are not an AIdCredential.
func DecodeHeader(s string) (*protocol.AIdCredential, error) {
	var cred protocol.AIdCredential
	if err := decodeHeaderMessage(s, headerCredentialName, MaxHeaderLen, ErrMalformed, &cred); err != nil {
		return nil, err
	}
	return &cred, nil
}

// headerCredentialName and headerProofName name the headers in errors.
const (
	headerCredentialName = "X-Actr-Credential"
	headerProofName      = "X-Actr-Proof"
)

// encodeHeaderMessage is the header form of m: standard padded base64 of
// its deterministic encoding.
func encodeHeaderMessage(m proto.Message) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return "" // our header messages have no field that can fail to marshal
	}
	return base64.StdEncoding.EncodeToString(b)
}

// decodeHeaderMessage decodes the header form of a message into m,
// strictly: at most max bytes, checked before decoding anything; only the
// standard base64 alphabet, canonical and padded; bytes that are m. A
// refusal is a *VerifyError wrapping reason, naming the header.
func decodeHeaderMessage(s, header string, max int, reason error, m proto.Message) error {
	bad := func(format string, args ...any) error {
		return refuse(reason, 0, protocol.ActorID{}, header+" header: "+format, args...)
	}
	if len(s) > max {
		return bad("%d bytes, over the %d-byte limit", len(s), max)
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
	if err := proto.Unmarshal(b, m); err != nil {
		return bad("not a %s message", m.ProtoReflect().Descriptor().Name())
	}
	return nil
}

func base64StdByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}
