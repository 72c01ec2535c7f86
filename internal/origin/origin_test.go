package origin

import (
	"errors"
	"net/http/httptest"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		origin   string
		patterns []string
		ok       bool
	}{
		{"", nil, true},                       // not a browser
		{"http://127.0.0.1:8080", nil, true},  // same origin
		{"http://127.0.0.1:9000", nil, false}, // default: same origin only
		{"http://127.0.0.1:9000", []string{"127.0.0.1:9000"}, true},
		{"http://127.0.0.1:9000", []string{"127.0.0.1:*"}, true},
		{"http://APP.example:9000", []string{"app.example:*"}, true},
		{"https://app.example", []string{"https://app.example"}, true},
		{"http://app.example", []string{"https://app.example"}, false},
		{"http://evil.example", []string{"*.app.example"}, false},
		{"http://a.app.example", []string{"*.app.example"}, true},
		{"http://x", []string{"*"}, true},
		{"null", nil, false},
		{"null", []string{"null"}, true},
		{"::not a url", []string{"*"}, false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "http://127.0.0.1:8080/signaling/ws", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		err := Check(r, c.patterns)
		if (err == nil) != c.ok {
			t.Errorf("Check(%q, %q) = %v, want ok=%v", c.origin, c.patterns, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("Check(%q) = %v, not ErrRefused", c.origin, err)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := Validate([]string{"127.0.0.1:*", "https://*.example"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{""}, {"[a-"}} {
		if Validate(bad) == nil {
			t.Errorf("Validate(%q) passed", bad)
		}
	}
}

func TestCORSPreflight(t *testing.T) {
	r := httptest.NewRequest("OPTIONS", "http://127.0.0.1:8080/register", nil)
	r.Header.Set("Origin", "http://127.0.0.1:9000")
	r.Header.Set("Access-Control-Request-Method", "POST")
	w := httptest.NewRecorder()
	if !CORS(w, r, []string{"POST"}, []string{"Content-Type"}) {
		t.Fatal("a preflight was not answered")
	}
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "http://127.0.0.1:9000" || w.Header().Get("Access-Control-Allow-Headers") != "Content-Type" {
		t.Fatalf("preflight answer %d %v", w.Code, w.Header())
	}
	r = httptest.NewRequest("POST", "http://127.0.0.1:8080/register", nil)
	r.Header.Set("Origin", "http://127.0.0.1:9000")
	w = httptest.NewRecorder()
	if CORS(w, r, []string{"POST"}, nil) || w.Header().Get("Access-Control-Allow-Origin") == "" {
		t.Fatal("a POST was not given its CORS header")
	}
}
