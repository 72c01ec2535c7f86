package protocol

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
)

// ErrBadActorID is returned, wrapped with detail, for text that is not an
// actor id and for an [ActrId] message that lacks a required part. Test for it
// with errors.Is.
var ErrBadActorID = errors.New("protocol: bad actor id")

// ActorID is the comparable value form of an [ActrId]: usable as a map key and
// compared with ==. Its zero value means "no actor".
//
// # Text form
//
// [ActorID.String] writes, and [ParseActorID] reads,
//
//	manufacturer:name:version@realm.serial
//
// for example "acme:echo:1.0@1.42" (realm 1, serial 42, version "1.0"), or
// without ":version" when the version is empty ("acme:echo@1.42"). Realm and serial are
// unsigned decimal numbers. Manufacturer and name are percent-escaped: every
// byte outside [A-Za-z0-9-_.~] (the URI "unreserved" set) is written as %XX
// with upper-case hex, and so is the version; so in the text form they never
// contain a raw ':', '@', '/' or space, and any of them may be empty. Hence:
//
//   - the form is unambiguous, and every ActorID (any strings, including
//     invalid UTF-8) round-trips through String and ParseActorID;
//   - it is safe, unchanged, as one URL path segment (':' and '@' are allowed
//     there by RFC 3986). A server reading it back from a request must take it
//     from the escaped path (net/url.URL.EscapedPath), not from URL.Path or
//     http.Request.PathValue, which have already been percent-decoded.
//
// ParseActorID also accepts lower-case hex and escapes of bytes that need none
// ("%61" for "a"), as URL tooling may produce them.
//
// The actr runtime writes ids in another form, [ActorID.ActrString]
// ("2a@1/acme:echo:1.0"); that one is what credentials carry.
type ActorID struct {
	Realm        uint32
	Serial       uint64
	Manufacturer string
	Name         string
	// Version of the actor's type. actr requires one (non-empty) in every
	// id; [DefaultVersion] is what our nodes register when given none.
	Version string
}

// DefaultVersion is the type version our nodes register with when their
// configuration names none: actr requires a non-empty version.
const DefaultVersion = "0"

// IsZero reports whether id is the zero ActorID.
func (id ActorID) IsZero() bool { return id == ActorID{} }

// Compare orders actor ids by realm, serial number, manufacturer, name and
// version; it returns -1, 0 or +1. Both ends of a connection compute the same order,
// which makes it usable for deterministic tie-breaks.
func (id ActorID) Compare(other ActorID) int {
	if c := cmp.Compare(id.Realm, other.Realm); c != 0 {
		return c
	}
	if c := cmp.Compare(id.Serial, other.Serial); c != 0 {
		return c
	}
	if c := strings.Compare(id.Manufacturer, other.Manufacturer); c != 0 {
		return c
	}
	if c := strings.Compare(id.Name, other.Name); c != 0 {
		return c
	}
	return strings.Compare(id.Version, other.Version)
}

// String returns the text form manufacturer:name:version@realm.serial
// described on [ActorID].
func (id ActorID) String() string {
	return string(id.appendText(make([]byte, 0, len(id.Manufacturer)+len(id.Name)+len(id.Version)+25)))
}

func (id ActorID) appendText(b []byte) []byte {
	b = appendEscaped(b, id.Manufacturer)
	b = append(b, ':')
	b = appendEscaped(b, id.Name)
	if id.Version != "" {
		b = append(b, ':')
		b = appendEscaped(b, id.Version)
	}
	b = append(b, '@')
	b = strconv.AppendUint(b, uint64(id.Realm), 10)
	b = append(b, '.')
	return strconv.AppendUint(b, id.Serial, 10)
}

// MarshalText implements encoding.TextMarshaler with the text form, so an
// ActorID reads naturally in JSON, as a map key and in slog output.
func (id ActorID) MarshalText() ([]byte, error) { return id.appendText(nil), nil }

// UnmarshalText implements encoding.TextUnmarshaler with [ParseActorID].
func (id *ActorID) UnmarshalText(text []byte) error {
	v, err := ParseActorID(string(text))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseActorID parses the text form manufacturer:name[:version]@realm.serial
// described on [ActorID]. Errors wrap [ErrBadActorID].
func ParseActorID(s string) (ActorID, error) {
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return ActorID{}, badText(s, "missing ':' between manufacturer and name")
	}
	at := strings.IndexByte(s[colon+1:], '@')
	if at < 0 {
		return ActorID{}, badText(s, "missing '@' before realm.serial")
	}
	at += colon + 1
	nums := s[at+1:]
	dot := strings.IndexByte(nums, '.')
	if dot < 0 {
		return ActorID{}, badText(s, "missing '.' between realm and serial")
	}
	manufacturer, err := unescape(s[:colon])
	if err != nil {
		return ActorID{}, badText(s, "manufacturer: "+err.Error())
	}
	nameVersion := s[colon+1 : at]
	var version string
	if c := strings.IndexByte(nameVersion, ':'); c >= 0 {
		if version, err = unescape(nameVersion[c+1:]); err != nil {
			return ActorID{}, badText(s, "version: "+err.Error())
		}
		nameVersion = nameVersion[:c]
	}
	name, err := unescape(nameVersion)
	if err != nil {
		return ActorID{}, badText(s, "name: "+err.Error())
	}
	realm, err := parseDecimal(nums[:dot], 32)
	if err != nil {
		return ActorID{}, badText(s, "realm: "+err.Error())
	}
	serial, err := parseDecimal(nums[dot+1:], 64)
	if err != nil {
		return ActorID{}, badText(s, "serial: "+err.Error())
	}
	return ActorID{Realm: uint32(realm), Serial: serial, Manufacturer: manufacturer, Name: name, Version: version}, nil
}

// MustParseActorID is like [ParseActorID] but panics on error. It is meant for
// tests and package-level variables with constant input.
func MustParseActorID(s string) ActorID {
	id, err := ParseActorID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// Proto returns id as a newly allocated [ActrId] with every field set.
func (id ActorID) Proto() *ActrId {
	return &ActrId{
		Realm:        &Realm{RealmId: proto.Uint32(id.Realm)},
		SerialNumber: proto.Uint64(id.Serial),
		Type: &ActrType{
			Manufacturer: proto.String(id.Manufacturer),
			Name:         proto.String(id.Name),
			Version:      proto.String(id.Version),
		},
	}
}

// ActorIDFromProto converts an [ActrId], typically one just decoded from
// untrusted bytes, to its value form. It fails, with an error wrapping
// [ErrBadActorID], when p is nil, has no realm (or a realm without realm_id)
// or has no type. An absent serial_number, manufacturer, name or version
// reads as zero or empty, as the generated getters do.
func ActorIDFromProto(p *ActrId) (ActorID, error) {
	switch {
	case p == nil:
		return ActorID{}, fmt.Errorf("%w: nil ActrId", ErrBadActorID)
	case p.Realm == nil || p.Realm.RealmId == nil:
		return ActorID{}, fmt.Errorf("%w: ActrId has no realm", ErrBadActorID)
	case p.Type == nil:
		return ActorID{}, fmt.Errorf("%w: ActrId has no type", ErrBadActorID)
	}
	return ActorID{
		Realm:        p.Realm.GetRealmId(),
		Serial:       p.GetSerialNumber(),
		Manufacturer: p.Type.GetManufacturer(),
		Name:         p.Type.GetName(),
		Version:      p.Type.GetVersion(),
	}, nil
}

// maxQuoted bounds how much of untrusted input an error message repeats.
const maxQuoted = 64

func badText(s, detail string) error {
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "…"
	}
	return fmt.Errorf("%w %q: %s", ErrBadActorID, s, detail)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

const upperHex = "0123456789ABCDEF"

func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func unescape(s string) (string, error) {
	n := 0 // escapes seen; none means s is returned as is
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if len(s)-i < 3 {
				return "", fmt.Errorf("truncated escape at byte %d", i)
			}
			if _, ok := unhex(s[i+1]); !ok {
				return "", fmt.Errorf("bad escape %q at byte %d", s[i:i+3], i)
			}
			if _, ok := unhex(s[i+2]); !ok {
				return "", fmt.Errorf("bad escape %q at byte %d", s[i:i+3], i)
			}
			n++
			i += 2
		case !unreserved(c):
			return "", fmt.Errorf("byte %q at %d must be percent-escaped", c, i)
		}
	}
	if n == 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s)-2*n)
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			hi, _ := unhex(s[i+1])
			lo, _ := unhex(s[i+2])
			b = append(b, hi<<4|lo)
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b), nil
}

// parseDecimal accepts only ASCII digits (no sign, no underscores, no base
// prefix), so the text form has a single spelling of each number apart from
// leading zeros.
func parseDecimal(s string, bits int) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	v, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%q out of range for uint%d", s, bits)
	}
	return v, nil
}
