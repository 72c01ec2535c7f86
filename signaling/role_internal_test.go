package signaling

import (
	"testing"

	"github.com/actr-go/actr/protocol"
)

func TestOffersRule(t *testing.T) {
	id := func(realm uint32, serial uint64, mfr, name, version string) protocol.ActorID {
		return protocol.ActorID{Realm: realm, Serial: serial, Manufacturer: mfr, Name: name, Version: version}
	}
	cases := []struct {
		name   string
		a, b   protocol.ActorID
		aA, bA bool // answer-only
		want   bool // a offers
	}{
		{"larger serial offers", id(1, 9, "m", "n", "1"), id(1, 3, "m", "n", "1"), false, false, true},
		{"smaller serial answers", id(1, 3, "m", "n", "1"), id(1, 9, "m", "n", "1"), false, false, false},
		{"realm first", id(2, 1, "m", "n", "1"), id(1, 9, "m", "n", "1"), false, false, true},
		{"then manufacturer", id(1, 5, "z", "n", "1"), id(1, 5, "a", "n", "1"), false, false, true},
		{"then name", id(1, 5, "m", "a", "1"), id(1, 5, "m", "b", "1"), false, false, false},
		{"version not compared before the rest", id(1, 9, "m", "n", "0"), id(1, 3, "m", "n", "9"), false, false, true},
		{"answer-only never offers", id(1, 9, "m", "n", "1"), id(1, 3, "m", "n", "1"), true, false, false},
		{"its peer offers", id(1, 3, "m", "n", "1"), id(1, 9, "m", "n", "1"), false, true, true},
		{"both answer-only: the rule", id(1, 9, "m", "n", "1"), id(1, 3, "m", "n", "1"), true, true, true},
	}
	for _, c := range cases {
		if got := offers(c.a, c.b, c.aA, c.bA); got != c.want {
			t.Errorf("%s: offers = %v", c.name, got)
		}
		if offers(c.b, c.a, c.bA, c.aA) == offers(c.a, c.b, c.aA, c.bA) {
			t.Errorf("%s: both sides get the same answer", c.name)
		}
	}
	// Equal in all four but version: still exactly one offerer.
	x, y := id(1, 5, "m", "n", "1"), id(1, 5, "m", "n", "2")
	if offers(x, y, false, false) == offers(y, x, false, false) {
		t.Error("ids differing only in version: both sides get the same answer")
	}
}
