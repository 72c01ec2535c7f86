package signaling_test

import (
	"context"
	"net/http"
	"testing"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/signaling"
)

func dialOrigin(ctx context.Context, url, origin string) (int, error) {
	h := http.Header{}
	h.Set("Origin", origin)
	c, resp, err := cws.Dial(ctx, url, &cws.DialOptions{HTTPHeader: h, HTTPClient: httpClient})
	if err == nil {
		_ = c.CloseNow()
		return http.StatusSwitchingProtocols, nil
	}
	if resp != nil {
		return resp.StatusCode, err
	}
	return 0, err
}

// By default only the server's own origin's pages may open the socket;
// AllowedOrigins admits others by pattern; a refused origin is answered
// 403 and counted.
func TestSocketAllowedOrigins(t *testing.T) {
	ctx := guard(t)
	def := newServer(t, signaling.ServerConfig{}, "")
	if st, _ := dialOrigin(ctx, def.url, "http://127.0.0.1:1"); st != http.StatusForbidden {
		t.Fatalf("another origin, by default: %d, want 403", st)
	}
	if n := def.srv.Counters().Refused(signaling.RefusedOrigin); n != 1 {
		t.Fatalf("origin refusals %d", n)
	}
	ts := newServer(t, signaling.ServerConfig{AllowedOrigins: []string{"app.test:*", "https://other.test"}}, "")
	for origin, want := range map[string]int{
		"http://app.test:8443":   http.StatusSwitchingProtocols,
		"https://other.test":     http.StatusSwitchingProtocols,
		"http://other.test":      http.StatusForbidden,
		"http://evil.test":       http.StatusForbidden,
		"http://app.test.evil:1": http.StatusForbidden,
	} {
		if st, _ := dialOrigin(ctx, ts.url, origin); st != want {
			t.Errorf("origin %s: %d, want %d", origin, st, want)
		}
	}
	if n := ts.srv.Counters().Refused(signaling.RefusedOrigin); n != 3 {
		t.Fatalf("origin refusals %d, want 3", n)
	}
	if _, err := signaling.NewServer(signaling.ServerConfig{Issuer: ts.iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true}, AllowedOrigins: []string{"[x-"}}); err == nil {
		t.Fatal("a malformed origin pattern was taken")
	}
}

// A page of an allowed origin registers over HTTP: its preflight is
// answered with the headers it may send (the join token's among them),
// and its POST carries Access-Control-Allow-Origin; a page of another
// origin gets 403.
func TestHTTPRegisterCORS(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{AllowedOrigins: []string{"app.test"}}, "")
	u := ts.httpURL(signaling.RegisterPath)
	req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, u, nil)
	req.Header.Set("Origin", "http://app.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type, x-actr-join-token")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "http://app.test" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	h := http.Header{}
	h.Set("Origin", "http://app.test")
	status, rh, _ := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ""), h)
	if status != http.StatusOK || rh.Get("Access-Control-Allow-Origin") != "http://app.test" {
		t.Fatalf("allowed page's registration: %d %v", status, rh)
	}
	h.Set("Origin", "http://evil.test")
	if status, _, _ := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ""), h); status != http.StatusForbidden {
		t.Fatalf("refused page's registration: %d", status)
	}
	if n := ts.srv.Counters().Refused(signaling.RefusedOrigin); n != 1 {
		t.Fatalf("origin refusals %d", n)
	}
}
