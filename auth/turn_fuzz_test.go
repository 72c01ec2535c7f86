package auth_test

import (
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// FuzzTURNUsername: the user names TURN clients send (anyone may) never
// panic the parser, and any it accepts names the actor and expiry that
// TURNUsername would write for them.
func FuzzTURNUsername(f *testing.F) {
	id := protocol.ActorID{Realm: 1, Serial: 0xabc, Manufacturer: "acme", Name: "echo", Version: "0"}
	f.Add(auth.TURNUsername(id, time.Unix(2_000_000_000, 0)))
	f.Add("1:1@1/a:b:c")
	f.Add("alice")
	f.Add("99999999999999999999:x@1/a:b:c")
	f.Fuzz(func(t *testing.T, user string) {
		got, exp, err := auth.CheckTURNUsername(user, time.Unix(0, 0))
		if err != nil {
			return
		}
		if again := auth.TURNUsername(got, exp); len(again) == 0 {
			t.Fatalf("%q: accepted, yet names nothing", user)
		}
		if _, _, err := auth.CheckTURNUsername(auth.TURNUsername(got, exp), time.Unix(0, 0)); err != nil {
			t.Fatalf("%q: accepted as %v %v, whose own user name is refused: %v", user, got, exp, err)
		}
	})
}
