package protocol_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// FuzzParseActorID: parsing never panics, fails only with ErrBadActorID, and
// whatever it accepts re-parses from its canonical String() to the same id.
// Committed seeds: testdata/fuzz/FuzzParseActorID.
func FuzzParseActorID(f *testing.F) {
	f.Add("acme:echo@1.42")
	f.Add("acme:echo:1.0@1.42")
	f.Add("%C3%BC:a%3Ab%40c@4294967295.18446744073709551615")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := protocol.ParseActorID(s)
		if err != nil {
			if !errors.Is(err, protocol.ErrBadActorID) {
				t.Fatalf("ParseActorID(%q): error %v does not wrap ErrBadActorID", s, err)
			}
			return
		}
		canonical := id.String()
		again, err := protocol.ParseActorID(canonical)
		if err != nil || again != id {
			t.Fatalf("ParseActorID(%q) = %#v, but its String %q re-parses as %#v, %v", s, id, canonical, again, err)
		}
		if again.String() != canonical {
			t.Fatalf("String not stable: %q then %q", canonical, again.String())
		}
	})
}

// FuzzActorIDRoundTrip: every ActorID, whatever its strings, survives
// String/ParseActorID and Proto/ActorIDFromProto (through the wire), and
// ActrString/ParseActrString whenever it has an actr form (no ':' in its
// parts, a non-empty version).
func FuzzActorIDRoundTrip(f *testing.F) {
	f.Add(uint32(1), uint64(42), "acme", "echo", "1.0")
	f.Add(uint32(0), uint64(0), "", "", "")
	f.Add(uint32(7), uint64(1), "a:b@c%d", "日本\xff", "1:2@3/4")
	f.Add(uint32(101), uint64(0x1a2b3c), "acme", "echo-service", "1.0.0")
	f.Fuzz(func(t *testing.T, realm uint32, serial uint64, manufacturer, name, version string) {
		id := protocol.ActorID{Realm: realm, Serial: serial, Manufacturer: manufacturer, Name: name, Version: version}
		if back, err := protocol.ParseActorID(id.String()); err != nil || back != id {
			t.Fatalf("%#v: String %q parses as %#v, %v", id, id.String(), back, err)
		}
		b, err := proto.Marshal(id.Proto())
		if err != nil {
			t.Fatal(err)
		}
		var p protocol.ActrId
		if err := proto.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if back, err := protocol.ActorIDFromProto(&p); err != nil || back != id {
			t.Fatalf("%#v: through the wire as %#v, %v", id, back, err)
		}
		back, err := protocol.ParseActrString(id.ActrString())
		faithful := version != "" && !strings.Contains(manufacturer+name+version, ":")
		switch {
		case faithful && (err != nil || back != id):
			t.Fatalf("%#v: ActrString %q parses as %#v, %v", id, id.ActrString(), back, err)
		case !faithful && err == nil:
			t.Fatalf("%#v: ActrString %q has no faithful form, yet parses as %#v", id, id.ActrString(), back)
		}
	})
}

// FuzzParseActrString: parsing actr's text form never panics, fails only
// with ErrBadActorID, accepts only ids with a non-empty version, and whatever
// it accepts re-parses from its ActrString to the same id, whose ActrString
// is then stable. Committed seeds: testdata/fuzz/FuzzParseActrString.
func FuzzParseActrString(f *testing.F) {
	f.Add("1a2b3c@101/acme:echo-service:1.0.0")
	f.Add("2a@1/acme:echo:1.0")
	f.Add("1a2b3c@101/acme:echo-service")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := protocol.ParseActrString(s)
		if err != nil {
			if !errors.Is(err, protocol.ErrBadActorID) {
				t.Fatalf("ParseActrString(%q): error %v does not wrap ErrBadActorID", s, err)
			}
			if !id.IsZero() {
				t.Fatalf("ParseActrString(%q) returned %#v with its error", s, id)
			}
			return
		}
		if id.Version == "" {
			t.Fatalf("ParseActrString(%q) = %#v: accepted an empty version", s, id)
		}
		canonical := id.ActrString()
		again, err := protocol.ParseActrString(canonical)
		if err != nil || again != id {
			t.Fatalf("ParseActrString(%q) = %#v, but its ActrString %q re-parses as %#v, %v", s, id, canonical, again, err)
		}
		if again.ActrString() != canonical {
			t.Fatalf("ActrString not stable: %q then %q", canonical, again.ActrString())
		}
		// Our own text form holds every id, so this one too.
		if back, err := protocol.ParseActorID(id.String()); err != nil || back != id {
			t.Fatalf("%#v: String %q parses as %#v, %v", id, id.String(), back, err)
		}
	})
}

// FuzzSignalingEnvelope: decoding arbitrary bytes as a SignalingEnvelope (what
// a signaling server does with every frame) never panics, and what decodes
// re-encodes to something that decodes to an equal message.
func FuzzSignalingEnvelope(f *testing.F) {
	for _, m := range sampleMessages() {
		if env, ok := m.(*protocol.SignalingEnvelope); ok {
			b, err := deterministic.Marshal(env)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x6a, 0x02, 0x1a, 0x00}) // actr_relay { target {} }
	f.Fuzz(func(t *testing.T, b []byte) {
		var env protocol.SignalingEnvelope
		if err := proto.Unmarshal(b, &env); err != nil {
			return
		}
		out, err := deterministic.Marshal(&env)
		if err != nil {
			t.Fatalf("re-marshal of a decoded envelope: %v", err)
		}
		var again protocol.SignalingEnvelope
		if err := proto.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !proto.Equal(&env, &again) {
			t.Fatalf("re-decode differs:\n%v\n%v", &env, &again)
		}
		if relay := env.GetActrRelay(); relay != nil {
			// Helpers must cope with whatever the sender left out.
			_, _ = protocol.ActorIDFromProto(relay.GetSource())
			_, _ = protocol.ActorIDFromProto(relay.GetTarget())
		}
	})
}
