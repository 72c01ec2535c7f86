package protocol_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/actr-go/actr/protocol"
)

func TestActrString(t *testing.T) {
	for _, tc := range []struct {
		id   protocol.ActorID
		want string
	}{
		// The actr runtime's own example.
		{protocol.ActorID{Realm: 101, Serial: 0x1a2b3c, Manufacturer: "acme", Name: "echo-service", Version: "1.0.0"},
			"1a2b3c@101/acme:echo-service:1.0.0"},
		{protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "1.0"}, "2a@1/acme:echo:1.0"},
		{protocol.ActorID{Realm: 0, Serial: 0, Manufacturer: "m", Name: "n", Version: protocol.DefaultVersion}, "0@0/m:n:0"},
		{protocol.ActorID{Realm: math.MaxUint32, Serial: math.MaxUint64, Manufacturer: "m", Name: "n", Version: "v"},
			"ffffffffffffffff@4294967295/m:n:v"},
		// Nothing is escaped: the bytes are actr's, as credentials carry them.
		{protocol.ActorID{Realm: 7, Serial: 0xabc, Manufacturer: "Acme Inc.", Name: "écho", Version: "1.0 beta"},
			"abc@7/Acme Inc.:écho:1.0 beta"},
		{protocol.ActorID{Realm: 7, Serial: 1, Manufacturer: "", Name: "", Version: "v"}, "1@7/::v"},
		// '@' and '/' after the realm are part of the type: the parser cuts
		// at the first '@' and the first '/' only.
		{protocol.ActorID{Realm: 7, Serial: 1, Manufacturer: "a@b/c", Name: "d/e@f", Version: "1/2@3"}, "1@7/a@b/c:d/e@f:1/2@3"},
	} {
		if got := tc.id.ActrString(); got != tc.want {
			t.Errorf("%#v.ActrString() = %q, want %q", tc.id, got, tc.want)
		}
		back, err := protocol.ParseActrString(tc.want)
		if err != nil || back != tc.id {
			t.Errorf("ParseActrString(%q) = %#v, %v; want %#v", tc.want, back, err, tc.id)
		}
	}
}

func TestParseActrStringLenient(t *testing.T) {
	// Hex digits of either case and leading zeros, as actr's u64 parsing
	// takes them; ActrString writes lower case without leading zeros.
	want := protocol.ActorID{Realm: 101, Serial: 0x1a2b3c, Manufacturer: "acme", Name: "echo-service", Version: "1.0.0"}
	for _, in := range []string{
		"1A2B3C@101/acme:echo-service:1.0.0",
		"001a2b3c@101/acme:echo-service:1.0.0",
		"1a2b3c@0101/acme:echo-service:1.0.0",
	} {
		got, err := protocol.ParseActrString(in)
		if err != nil || got != want {
			t.Errorf("ParseActrString(%q) = %#v, %v; want %#v", in, got, err, want)
		}
	}
}

func TestParseActrStringErrors(t *testing.T) {
	for _, in := range []string{
		// The actr runtime's own refusals.
		"1a2b3c@101/acme:echo-service", // no version
		"xyz@101/acme:echo",            // serial not hex
		"123@101",                      // no type
		"1a2b3c@101/a:b:c:d",           // four parts in the type
		"1a2b3c@101/acme:echo:",        // empty version
		// And the rest.
		"",
		"1a2b3c",
		"1a2b3c@",
		"1a2b3c@101/",
		"1a2b3c@101/acme",
		"@101/acme:echo:1.0",
		"1a2b3c@/acme:echo:1.0",
		"1a2b3c101/acme:echo:1.0",
		"0x1a@101/acme:echo:1.0",
		"-1@101/acme:echo:1.0",
		"+1@101/acme:echo:1.0",
		" 1a@101/acme:echo:1.0",
		"1a @101/acme:echo:1.0",
		"10000000000000000@1/a:b:c", // 2^64
		"00000000000000001@1/a:b:c", // 17 hex digits
		"1a@-1/acme:echo:1.0",
		"1a@0x1/acme:echo:1.0",
		"1a@4294967296/acme:echo:1.0",
		"1a@1 /acme:echo:1.0",
		"1a@１/acme:echo:1.0", // full-width digit
		"1a@1/::",
		"1a@1/:::",
		"1a@1/acme:echo:1.0:",
		// actr's text form is not ours, nor the reverse.
		"acme:echo:1.0@1.42",
		"acme:echo@1.42",
	} {
		id, err := protocol.ParseActrString(in)
		if err == nil {
			t.Errorf("ParseActrString(%q) = %#v, want error", in, id)
			continue
		}
		if !errors.Is(err, protocol.ErrBadActorID) {
			t.Errorf("ParseActrString(%q) error %v does not wrap ErrBadActorID", in, err)
		}
		if !id.IsZero() {
			t.Errorf("ParseActrString(%q) returned %#v with its error", in, id)
		}
	}
	if _, err := protocol.ParseActorID("1a2b3c@101/acme:echo-service:1.0.0"); err == nil {
		t.Error("ParseActorID accepted actr's text form")
	}
}

func TestParseActrStringErrorIsBounded(t *testing.T) {
	_, err := protocol.ParseActrString("1@1/" + strings.Repeat("x:", 1<<20))
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("error for 2 MiB of junk: %v, want a short error", err)
	}
}

// An id with a ':' in its manufacturer, name or version, or with an empty
// version, has no faithful actr form: ParseActrString refuses what
// ActrString makes of it, rather than reading another id.
func TestActrStringUnfaithfulIDsAreRefused(t *testing.T) {
	for _, id := range []protocol.ActorID{
		{Realm: 1, Serial: 2, Manufacturer: "a:b", Name: "c", Version: "1"},
		{Realm: 1, Serial: 2, Manufacturer: "a", Name: "b:c", Version: "1"},
		{Realm: 1, Serial: 2, Manufacturer: "a", Name: "b", Version: "1:2"},
		{Realm: 1, Serial: 2, Manufacturer: "a", Name: "b:"},
		{Realm: 1, Serial: 2, Manufacturer: "a", Name: "b"},
		{},
	} {
		s := id.ActrString()
		if got, err := protocol.ParseActrString(s); err == nil {
			t.Errorf("%#v: ActrString %q parses as %#v, want an error", id, s, got)
		}
	}
}

func TestActrStringAndStringAgree(t *testing.T) {
	// The two text forms name the same ids.
	for _, s := range []string{"acme:echo:1.0@1.42", "acme:echo-service:1.0.0@101.1715004", "a%40b:c%2Fd:v@0.0"} {
		id := protocol.MustParseActorID(s)
		back, err := protocol.ParseActrString(id.ActrString())
		if err != nil || back != id {
			t.Errorf("%q: ActrString %q parses as %#v, %v", s, id.ActrString(), back, err)
		}
	}
}
