package signaling

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckJoinToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	mint := func(secret string, realm uint32, exp time.Time) string {
		tok, err := mintJoinTokenAt(secret, realm, exp)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := mint("s3cret", 7, now.Add(time.Minute))
	if err := checkJoinToken(good, "s3cret", 7, now, time.Hour); err != nil {
		t.Fatalf("a good token refused: %v", err)
	}
	body, mac, _ := strings.Cut(strings.TrimPrefix(good, joinTokenPrefix), ".")
	flipped := []byte(body)
	flipped[3] ^= 1
	cases := map[string]struct {
		tok, secret string
		realm       uint32
	}{
		"other secret":    {good, "other", 7},
		"other realm":     {mint("s3cret", 8, now.Add(time.Minute)), "s3cret", 7},
		"expired":         {mint("s3cret", 7, now.Add(-time.Second)), "s3cret", 7},
		"expires now":     {mint("s3cret", 7, now), "s3cret", 7},
		"too long-lived":  {mint("s3cret", 7, now.Add(2*time.Hour)), "s3cret", 7},
		"tampered body":   {joinTokenPrefix + string(flipped) + "." + mac, "s3cret", 7},
		"no mac":          {joinTokenPrefix + body, "s3cret", 7},
		"no prefix":       {strings.TrimPrefix(good, joinTokenPrefix), "s3cret", 7},
		"oversized":       {good + strings.Repeat("A", maxJoinTokenLen), "s3cret", 7},
		"short body":      {joinTokenPrefix + "AAAA." + mac, "s3cret", 7},
		"realm no secret": {good, "", 7},
		"empty":           {"", "s3cret", 7},
	}
	for name, c := range cases {
		err := checkJoinToken(c.tok, c.secret, c.realm, now, time.Hour)
		if !errors.Is(err, ErrJoinToken) {
			t.Errorf("%s: %v, want ErrJoinToken", name, err)
		}
	}
	if _, err := MintJoinToken("", 1, time.Minute); err == nil {
		t.Fatal("a token minted without a secret")
	}
}

func FuzzCheckJoinToken(f *testing.F) {
	tok, _ := mintJoinTokenAt("s", 1, time.Unix(1_800_000_060, 0))
	f.Add(tok)
	f.Add("ajt1..")
	f.Fuzz(func(t *testing.T, s string) {
		_ = checkJoinToken(s, "s", 1, time.Unix(1_800_000_000, 0), time.Hour)
	})
}
