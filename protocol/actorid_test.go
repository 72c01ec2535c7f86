package protocol_test

import (
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

func TestActorIDString(t *testing.T) {
	for _, tc := range []struct {
		id   protocol.ActorID
		want string
	}{
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo"}, "acme:echo@1.42"},
		{protocol.ActorID{}, ":@0.0"},
		{protocol.ActorID{Realm: 2, Serial: 3, Manufacturer: "acme"}, "acme:@2.3"},
		{protocol.ActorID{Realm: math.MaxUint32, Serial: math.MaxUint64, Manufacturer: "A-z_0.9~", Name: "x"},
			"A-z_0.9~:x@4294967295.18446744073709551615"},
		{protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "Acme Inc.", Name: "echo:v2@eu"}, "Acme%20Inc.:echo%3Av2%40eu@1.1"},
		{protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "100%", Name: "a/b?c#d"}, "100%25:a%2Fb%3Fc%23d@1.1"},
		{protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "ü", Name: "\xff\x00"}, "%C3%BC:%FF%00@1.1"},
	} {
		if got := tc.id.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.id, got, tc.want)
		}
		back, err := protocol.ParseActorID(tc.want)
		if err != nil || back != tc.id {
			t.Errorf("ParseActorID(%q) = %#v, %v; want %#v", tc.want, back, err, tc.id)
		}
	}
}

// oddIDs are ids whose strings contain everything the text form must escape.
var oddIDs = []protocol.ActorID{
	{Realm: 1, Serial: 2, Manufacturer: "a:b", Name: "c:d"},
	{Realm: 1, Serial: 2, Manufacturer: "a@b", Name: "@"},
	{Realm: 1, Serial: 2, Manufacturer: "%", Name: "%25"},
	{Realm: 1, Serial: 2, Manufacturer: "日本", Name: "エコー 🚀"},
	{Realm: 1, Serial: 2, Manufacturer: "", Name: ""},
	{Realm: 0, Serial: 0, Manufacturer: "m", Name: ""},
	{Realm: 3, Serial: 4, Manufacturer: " ", Name: "\t\n\r"},
	{Realm: 3, Serial: 4, Manufacturer: "a.b", Name: "1.2"},
	{Realm: 3, Serial: 4, Manufacturer: "/..", Name: "?#&=+;,"},
	{Realm: 3, Serial: 4, Manufacturer: "\x00\x7f\x80\xff", Name: strings.Repeat("x", 300)},
	{Realm: 5, Serial: 6, Manufacturer: "a:b@1.2", Name: ":@1.2"},
	{Realm: 5, Serial: 6, Manufacturer: "acme", Name: "echo", Version: "1.0:beta@eu/1"},
	{Realm: 5, Serial: 6, Manufacturer: "", Name: "", Version: "%"},
	{Realm: 5, Serial: 6, Manufacturer: "a:b", Name: "c", Version: "日本 \xff"},
}

func TestActorIDRoundTripOddStrings(t *testing.T) {
	for _, id := range oddIDs {
		s := id.String()
		back, err := protocol.ParseActorID(s)
		if err != nil {
			t.Errorf("ParseActorID(%q): %v", s, err)
			continue
		}
		if back != id {
			t.Errorf("ParseActorID(%q) = %#v, want %#v", s, back, id)
		}
		colons := 1
		if id.Version != "" {
			colons = 2
		}
		if strings.Count(s, ":") != colons || strings.Count(s, "@") != 1 {
			t.Errorf("%q: want exactly %d ':' and one '@'", s, colons)
		}
	}
}

func TestActorIDIsOneURLPathSegment(t *testing.T) {
	for _, id := range oddIDs {
		s := id.String()
		// RFC 3986: segment = *pchar; pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
		// The text form uses only unreserved, pct-encoded, ':' and '@'.
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
				i += 2
			case c == ':' || c == '@' || c == '-' || c == '_' || c == '.' || c == '~' ||
				'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			default:
				t.Errorf("%q: byte %d (%q) is not allowed in a URL path segment", s, i, c)
			}
		}
		if unesc, err := url.PathUnescape(s); err != nil || !strings.Contains(unesc, id.Name) || !strings.Contains(unesc, id.Version) {
			t.Errorf("url.PathUnescape(%q) = %q, %v", s, unesc, err)
		}
		u, err := url.Parse("ws://127.0.0.1:8080/actors/" + s + "/ws")
		if err != nil {
			t.Fatalf("url.Parse with %q: %v", s, err)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 4 || segs[2] != s {
			t.Errorf("escaped path %q does not hold %q as one segment", u.EscapedPath(), s)
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F'
}

func TestParseActorIDLenient(t *testing.T) {
	for in, want := range map[string]protocol.ActorID{
		"acme:%65cho@1.2":              {Realm: 1, Serial: 2, Manufacturer: "acme", Name: "echo"},
		"%c3%bc:%3a@1.2":               {Realm: 1, Serial: 2, Manufacturer: "ü", Name: ":"},
		"acme:echo@01.002":             {Realm: 1, Serial: 2, Manufacturer: "acme", Name: "echo"},
		"acme:echo@0.0":                {Manufacturer: "acme", Name: "echo"},
		":@4294967295.0":               {Realm: math.MaxUint32},
		"~:-_.@1.18446744073709551615": {Realm: 1, Serial: math.MaxUint64, Manufacturer: "~", Name: "-_."},
	} {
		got, err := protocol.ParseActorID(in)
		if err != nil || got != want {
			t.Errorf("ParseActorID(%q) = %#v, %v; want %#v", in, got, err, want)
		}
	}
}

func TestParseActorIDErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"acme",
		"acme:echo",
		"acme:echo@",
		"acme:echo@1",
		"acme:echo@1.",
		"acme:echo@.1",
		"acme:echo@-1.2",
		"acme:echo@+1.2",
		"acme:echo@1.-2",
		"acme:echo@1.2.3",
		"acme:echo@1_0.2",
		"acme:echo@0x1.2",
		"acme:echo@1.2 ",
		"acme:echo@ 1.2",
		"acme:echo@4294967296.1",
		"acme:echo@1.18446744073709551616",
		"acme:echo@１.2", // full-width digit
		"ac me:echo@1.2",
		"acme:ec ho@1.2",
		"a:b:c:d@1.2", // a raw ':' in the version
		"a:b:c%@1.2",
		"a:b:c d@1.2",
		"a@b:c@1.2",
		"a:b@c@1.2",
		"a/b:c@1.2",
		"acme:echo%@1.2",
		"acme:echo%4@1.2",
		"acme:echo%zz@1.2",
		"acme:echo%4g@1.2",
		"%:x@1.2",
		"ü:x@1.2",
		"\xff:x@1.2",
	} {
		id, err := protocol.ParseActorID(in)
		if err == nil {
			t.Errorf("ParseActorID(%q) = %#v, want error", in, id)
			continue
		}
		if !errors.Is(err, protocol.ErrBadActorID) {
			t.Errorf("ParseActorID(%q) error %v does not wrap ErrBadActorID", in, err)
		}
		if id != (protocol.ActorID{}) {
			t.Errorf("ParseActorID(%q) returned %#v with its error", in, id)
		}
	}
}

func TestParseActorIDErrorIsBounded(t *testing.T) {
	_, err := protocol.ParseActorID(strings.Repeat("x", 1<<20))
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("error for 1 MiB of junk: %d bytes, want a short error", len(err.Error()))
	}
}

func TestActorIDIsZero(t *testing.T) {
	if !(protocol.ActorID{}).IsZero() {
		t.Error("zero ActorID: IsZero() = false")
	}
	for _, id := range []protocol.ActorID{{Realm: 1}, {Serial: 1}, {Manufacturer: "m"}, {Name: "n"}, {Version: "v"}} {
		if id.IsZero() {
			t.Errorf("%#v.IsZero() = true", id)
		}
	}
}

func TestActorIDMapKey(t *testing.T) {
	m := map[protocol.ActorID]int{}
	a := protocol.MustParseActorID("acme:echo@1.42")
	m[a]++
	m[protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo"}]++
	if len(m) != 1 || m[a] != 2 {
		t.Fatalf("map = %v, want one key counted twice", m)
	}
	// The version is part of the identity.
	m[protocol.MustParseActorID("acme:echo:1.0@1.42")]++
	if len(m) != 2 || m[a] != 2 {
		t.Fatalf("map = %v, want the versioned id as a second key", m)
	}
}

func TestActorIDProto(t *testing.T) {
	for _, id := range append(oddIDs, protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "1.0"}) {
		p := id.Proto()
		if p.Realm == nil || p.Realm.RealmId == nil || p.SerialNumber == nil || p.Type == nil ||
			p.Type.Manufacturer == nil || p.Type.Name == nil || p.Type.Version == nil {
			t.Fatalf("%v.Proto() = %v: every field should be set", id, p)
		}
		b, err := deterministic.Marshal(p)
		if err != nil {
			t.Fatalf("marshal %v: %v", id, err)
		}
		var decoded protocol.ActrId
		if err := proto.Unmarshal(b, &decoded); err != nil {
			t.Fatalf("unmarshal %v: %v", id, err)
		}
		back, err := protocol.ActorIDFromProto(&decoded)
		if err != nil || back != id {
			t.Errorf("ActorIDFromProto(%v) = %#v, %v; want %#v", &decoded, back, err, id)
		}
	}
}

func TestActorIDFromProtoErrors(t *testing.T) {
	realm := &protocol.Realm{RealmId: proto.Uint32(1)}
	typ := &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("echo")}
	for name, p := range map[string]*protocol.ActrId{
		"nil":              nil,
		"empty":            {},
		"no realm":         {SerialNumber: proto.Uint64(1), Type: typ},
		"realm without id": {Realm: &protocol.Realm{}, SerialNumber: proto.Uint64(1), Type: typ},
		"no type":          {Realm: realm, SerialNumber: proto.Uint64(1)},
	} {
		id, err := protocol.ActorIDFromProto(p)
		if !errors.Is(err, protocol.ErrBadActorID) || !id.IsZero() {
			t.Errorf("%s: ActorIDFromProto = %#v, %v; want zero and ErrBadActorID", name, id, err)
		}
	}
	// Absent serial and names read as zero values; the message is still an id.
	id, err := protocol.ActorIDFromProto(&protocol.ActrId{Realm: realm, Type: &protocol.ActrType{}})
	if err != nil || id != (protocol.ActorID{Realm: 1}) {
		t.Errorf("minimal ActrId: %#v, %v; want realm 1 only", id, err)
	}
}

func TestActorIDText(t *testing.T) {
	type msg struct {
		From  protocol.ActorID
		Peers map[protocol.ActorID]int
	}
	in := msg{From: oddIDs[0], Peers: map[protocol.ActorID]int{protocol.MustParseActorID("acme:echo:1.0@1.42"): 1}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"From":"a%3Ab:c%3Ad@1.2","Peers":{"acme:echo:1.0@1.42":1}}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var out msg
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.From != in.From || len(out.Peers) != 1 || out.Peers[protocol.MustParseActorID("acme:echo:1.0@1.42")] != 1 {
		t.Errorf("json round trip = %#v, want %#v", out, in)
	}
	var id protocol.ActorID
	if err := id.UnmarshalText([]byte("nope")); !errors.Is(err, protocol.ErrBadActorID) {
		t.Errorf("UnmarshalText(nope) = %v, want ErrBadActorID", err)
	}
}

func TestMustParseActorIDPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("MustParseActorID(bad) did not panic")
		}
	}()
	protocol.MustParseActorID("bad")
}

func TestActorIDCompare(t *testing.T) {
	// In order: realm, serial, manufacturer, name, then version, each
	// compared as numbers or bytes (so "1.10" < "1.9": not semver).
	ids := []protocol.ActorID{
		{Realm: 1, Serial: 1, Manufacturer: "a", Name: "a"},
		{Realm: 1, Serial: 1, Manufacturer: "a", Name: "a", Version: "1.0"},
		{Realm: 1, Serial: 1, Manufacturer: "a", Name: "a", Version: "1.10"},
		{Realm: 1, Serial: 1, Manufacturer: "a", Name: "a", Version: "1.9"},
		{Realm: 1, Serial: 1, Manufacturer: "a", Name: "b"},
		{Realm: 1, Serial: 1, Manufacturer: "a", Name: "b", Version: "0"},
		{Realm: 1, Serial: 1, Manufacturer: "b", Name: "a"},
		{Realm: 1, Serial: 2, Manufacturer: "a", Name: "a"},
		{Realm: 2, Serial: 0, Manufacturer: "a", Name: "a"},
	}
	for i, a := range ids {
		for j, b := range ids {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestActorIDVersionText(t *testing.T) {
	for _, tc := range []struct {
		id   protocol.ActorID
		want string
	}{
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "1.0"}, "acme:echo:1.0@1.42"},
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo"}, "acme:echo@1.42"},
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: protocol.DefaultVersion}, "acme:echo:0@1.42"},
		{protocol.ActorID{Realm: 1, Serial: 42, Version: "v"}, "::v@1.42"},
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "1.0:beta@eu/x"}, "acme:echo:1.0%3Abeta%40eu%2Fx@1.42"},
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "ü 100%"}, "acme:echo:%C3%BC%20100%25@1.42"},
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "a:b", Name: "c@d", Version: "e:f"}, "a%3Ab:c%40d:e%3Af@1.42"},
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "A-z_0.9~"}, "acme:echo:A-z_0.9~@1.42"},
	} {
		if got := tc.id.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.id, got, tc.want)
		}
		if b, err := tc.id.MarshalText(); err != nil || string(b) != tc.want {
			t.Errorf("%#v.MarshalText() = %q, %v; want %q", tc.id, b, err, tc.want)
		}
		back, err := protocol.ParseActorID(tc.want)
		if err != nil || back != tc.id {
			t.Errorf("ParseActorID(%q) = %#v, %v; want %#v", tc.want, back, err, tc.id)
		}
	}
	// Lenient, like the rest of the form: an empty version after its ':'
	// and escapes that need none; both print back in the canonical form.
	for in, want := range map[string]protocol.ActorID{
		"acme:echo:@1.42":      {Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo"},
		"acme:echo:%31.0@1.42": {Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "1.0"},
		"acme:echo:%3a@1.42":   {Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: ":"},
	} {
		got, err := protocol.ParseActorID(in)
		if err != nil || got != want {
			t.Errorf("ParseActorID(%q) = %#v, %v; want %#v", in, got, err, want)
		}
		if again, err := protocol.ParseActorID(got.String()); err != nil || again != want {
			t.Errorf("%q: String %q re-parses as %#v, %v", in, got.String(), again, err)
		}
	}
	// The version reaches the wire, and comes back from it.
	id := protocol.MustParseActorID("acme:echo:2.0.1@3.4")
	if v := id.Proto().GetType().GetVersion(); v != "2.0.1" {
		t.Errorf("Proto().Type.Version = %q, want 2.0.1", v)
	}
	if back, err := protocol.ActorIDFromProto(id.Proto()); err != nil || back != id {
		t.Errorf("ActorIDFromProto(Proto()) = %#v, %v; want %#v", back, err, id)
	}
}
