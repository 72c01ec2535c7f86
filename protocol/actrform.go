package protocol

import (
	"strconv"
	"strings"
)

// ActrString returns id in the actr runtime's text form,
//
//	<serial hex>@<realm>/<manufacturer>:<name>:<version>
//
// for example "2a@1/acme:echo:1.0". Unlike [ActorID.String] it escapes
// nothing: it is what actr puts in IdentityClaims.actor_id and TURN user
// names, where both sides must produce the very same bytes. An id whose
// manufacturer, name or version holds a ':', or whose version is empty, has
// no faithful form of this kind; [ParseActrString] refuses what ActrString
// makes of it. ('@' and '/' in the type are faithful: the parser cuts at the
// first of each, which come before the type.)
func (id ActorID) ActrString() string {
	b := make([]byte, 0, 16+1+10+1+len(id.Manufacturer)+len(id.Name)+len(id.Version)+2)
	b = strconv.AppendUint(b, id.Serial, 16)
	b = append(b, '@')
	b = strconv.AppendUint(b, uint64(id.Realm), 10)
	b = append(b, '/')
	b = append(b, id.Manufacturer...)
	b = append(b, ':')
	b = append(b, id.Name...)
	b = append(b, ':')
	b = append(b, id.Version...)
	return string(b)
}

// ParseActrString parses the actr runtime's text form written by
// [ActorID.ActrString]. As actr does, it requires exactly three
// ':'-separated parts in the type and a non-empty version; errors wrap
// [ErrBadActorID].
func ParseActrString(s string) (ActorID, error) {
	serialText, rest, ok := strings.Cut(s, "@")
	if !ok {
		return ActorID{}, badText(s, "missing '@' after the serial number")
	}
	realmText, typeText, ok := strings.Cut(rest, "/")
	if !ok {
		return ActorID{}, badText(s, "missing '/' between realm and type")
	}
	serial, err := parseHex(serialText)
	if err != nil {
		return ActorID{}, badText(s, "serial: "+err.Error())
	}
	realm, err := parseDecimal(realmText, 32)
	if err != nil {
		return ActorID{}, badText(s, "realm: "+err.Error())
	}
	parts := strings.Split(typeText, ":")
	if len(parts) != 3 {
		return ActorID{}, badText(s, "the type must be manufacturer:name:version")
	}
	if parts[2] == "" {
		return ActorID{}, badText(s, "empty version")
	}
	return ActorID{Realm: uint32(realm), Serial: serial, Manufacturer: parts[0], Name: parts[1], Version: parts[2]}, nil
}

func parseHex(s string) (uint64, error) {
	if s == "" || len(s) > 16 {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseUint(s, 16, 64)
}
