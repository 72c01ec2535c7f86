package signaling_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	cws "github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// httpClient keeps no idle connections (goleak).
var httpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func (ts *testServer) httpURL(path string) string {
	return "http" + strings.TrimPrefix(strings.TrimSuffix(ts.url, "/"), "ws") + path
}

func post(t *testing.T, ctx context.Context, u, ctype string, body []byte, h http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func registerBody(typ signaling.ActorType, realm uint32, ws string) []byte {
	req := &protocol.RegisterRequest{ActrType: &protocol.ActrType{Manufacturer: &typ.Manufacturer, Name: &typ.Name, Version: &typ.Version},
		Realm: &protocol.Realm{RealmId: proto.Uint32(realm)}}
	if ws != "" {
		req.WsAddress = proto.String(ws)
	}
	b, _ := proto.Marshal(req)
	return b
}

// httpRegister registers over HTTP and returns the RegisterOk.
func httpRegister(t *testing.T, ctx context.Context, ts *testServer, path string, typ signaling.ActorType, ws string) *protocol.RegisterOk {
	t.Helper()
	status, h, b := post(t, ctx, ts.httpURL(path), signaling.ContentTypeProtobuf, registerBody(typ, 1, ws), nil)
	var resp protocol.RegisterResponse
	if err := proto.Unmarshal(b, &resp); err != nil || status != http.StatusOK || h.Get("Content-Type") != signaling.ContentTypeProtobuf {
		t.Fatalf("POST %s: %d %s %v (%v)", path, status, h.Get("Content-Type"), resp.GetError(), err)
	}
	return resp.GetSuccess()
}

func registerError(t *testing.T, b []byte) *protocol.ErrorResponse {
	t.Helper()
	var resp protocol.RegisterResponse
	if err := proto.Unmarshal(b, &resp); err != nil || resp.GetError() == nil {
		t.Fatalf("the refusal's body is not a RegisterResponse error: %v", err)
	}
	return resp.GetError()
}

func TestHTTPRegister(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	for _, path := range []string{signaling.RegisterPath, signaling.AISRegisterPath} {
		ok := httpRegister(t, ctx, ts, path, typeA, "")
		id, err := protocol.ActorIDFromProto(ok.GetActrId())
		if err != nil || TypeOfID(id) != typeA {
			t.Fatalf("%s: id %v (%v)", path, id, err)
		}
		if _, err := verifierOf(ts).VerifyFor(ok.GetCredential(), id); err != nil {
			t.Fatalf("%s: the credential does not verify: %v", path, err)
		}
		if ok.GetSignalingHeartbeatIntervalSecs() == 0 || len(ok.GetSigningPubkey()) != 32 {
			t.Fatalf("%s: RegisterOk %v", path, ok)
		}
		// Registered, not online until it opens its socket.
		if ts.srv.Online(id) {
			t.Fatalf("%s: online before any socket", path)
		}
	}
	if c := ts.srv.RealmCounts()[1]; c.Registered != 2 || c.Online != 0 {
		t.Fatalf("realm counts %+v", c)
	}
	if n := ts.srv.Counters().Registrations.Load(); n != 2 {
		t.Fatalf("registrations %d", n)
	}
}

func TestHTTPRegisterRefusals(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{Limits: signaling.Limits{MaxRegisterBody: 1024, RegisterRate: 0.001, RegisterBurst: 2}}, "")
	c := ts.srv.Counters()
	u := ts.httpURL(signaling.RegisterPath)

	// Wrong method.
	resp, err := httpClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost || c.Refused(signaling.RefusedHTTPMethod) != 1 {
		t.Fatalf("GET: %d Allow %q, counted %d", resp.StatusCode, resp.Header.Get("Allow"), c.Refused(signaling.RefusedHTTPMethod))
	}
	// Wrong content type.
	if status, _, b := post(t, ctx, u, "application/json", []byte("{}"), nil); status != http.StatusUnsupportedMediaType || c.Refused(signaling.RefusedContentType) != 1 {
		t.Fatalf("JSON: %d, counted %d", status, c.Refused(signaling.RefusedContentType))
	} else if e := registerError(t, b); e.GetCode() != http.StatusUnsupportedMediaType {
		t.Fatalf("JSON: error %v", e)
	}
	// Oversize, declared and not (chunked).
	if status, _, _ := post(t, ctx, u, signaling.ContentTypeProtobuf, make([]byte, 2048), nil); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize: %d", status)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, io.MultiReader(bytes.NewReader(make([]byte, 2048))))
	req.Header.Set("Content-Type", signaling.ContentTypeProtobuf)
	req.ContentLength = -1
	if resp, err := httpClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversize: %d", resp.StatusCode)
	}
	if n := c.Refused(signaling.RefusedBodySize); n != 2 {
		t.Fatalf("body size refusals %d", n)
	}
	// Malformed body: not a RegisterRequest; then one with no type.
	malformed := c.Malformed.Load()
	for _, body := range [][]byte{{0xff, 0xff, 0xff}, {}} {
		status, _, b := post(t, ctx, u, signaling.ContentTypeProtobuf, body, nil)
		if status != http.StatusBadRequest || registerError(t, b).GetCode() != signaling.CodeBadRequest {
			t.Fatalf("malformed %x: %d", body, status)
		}
	}
	if c.Malformed.Load() != malformed+2 {
		t.Fatalf("malformed counted %d", c.Malformed.Load()-malformed)
	}
	// A bad ws_address.
	for _, ws := range []string{"http://127.0.0.1:1/x", "ws://", "ws://user:pw@h/x", "ws://h/" + strings.Repeat("x", 600), "not a url"} {
		status, _, b := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ws), nil)
		if status != http.StatusBadRequest || !strings.Contains(registerError(t, b).GetMessage(), "ws_address") {
			t.Fatalf("ws_address %q: %d", ws, status)
		}
	}
	if n := c.Refused(signaling.RefusedWSAddress); n != 5 {
		t.Fatalf("ws_address refusals %d", n)
	}
	// The address's registration rate (burst 2): the third is refused.
	httpRegister(t, ctx, ts, signaling.RegisterPath, typeA, "")
	httpRegister(t, ctx, ts, signaling.RegisterPath, typeA, "")
	status, h, b := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ""), nil)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || registerError(t, b).GetCode() != signaling.CodeRateLimited {
		t.Fatalf("over the rate: %d Retry-After %q", status, h.Get("Retry-After"))
	}
	if n := c.Refused(signaling.RefusedRegisterRate); n != 1 {
		t.Fatalf("register-rate refusals %d", n)
	}
	// The registration rate is the address's, socket and HTTP together.
	r := rawDial(t, ctx, ts.url, nil)
	id, _ := r.send(ctx, &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_PeerToServer{PeerToServer: &protocol.PeerToSignaling{
		Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: &protocol.RegisterRequest{
			ActrType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("a")}, Realm: &protocol.Realm{RealmId: proto.Uint32(1)}}}}}})
	if env, err := r.answer(ctx, id); err != nil || env.GetEnvelopeError().GetCode() != signaling.CodeRateLimited {
		t.Fatalf("socket registration over the address's rate: %v %v", env, err)
	}
}

func TestHTTPRegisterRealmSecret(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{Realms: map[uint32]signaling.RegistrationPolicy{1: {Secret: "s3cret"}}}, "")
	u := ts.httpURL(signaling.RegisterPath)
	if status, _, _ := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ""), nil); status != http.StatusForbidden {
		t.Fatalf("no secret: %d", status)
	}
	for _, hdr := range []string{signaling.HeaderRealmSecret, signaling.HeaderActrixRealmSecret} {
		h := http.Header{}
		h.Set(hdr, "s3cret")
		if status, _, _ := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ""), h); status != http.StatusOK {
			t.Fatalf("secret in %s: %d", hdr, status)
		}
	}
}

// querySocketURL writes the identity as actr's client does: standard
// padded base64, form-encoded.
func querySocketURL(ts *testServer, id protocol.ActorID, cred *protocol.AIdCredential, extra string) string {
	q := url.Values{}
	q.Set("actor_id", id.ActrString())
	q.Set("key_id", strconv.FormatUint(uint64(cred.GetKeyId()), 10))
	q.Set("claims", base64.StdEncoding.EncodeToString(cred.GetClaims()))
	q.Set("signature", base64.StdEncoding.EncodeToString(cred.GetSignature()))
	return strings.TrimSuffix(ts.url, "/") + signaling.SocketPath + "?" + q.Encode() + extra
}

// A bearer credential (an actr node's: registered with no holder key)
// opens the query socket only where the operator allows bearer
// credentials; refused before the upgrade otherwise.
func TestQuerySocketBearerNeedsAllowBearer(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	ok := httpRegister(t, ctx, ts, signaling.RegisterPath, typeA, "")
	id, _ := protocol.ActorIDFromProto(ok.GetActrId())
	_, resp, err := cws.Dial(ctx, querySocketURL(ts, id, ok.GetCredential(), ""), &cws.DialOptions{HTTPClient: httpClient})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a bearer credential without AllowBearer: %v, %v; want 401", resp, err)
	}
	if n := ts.srv.Counters().BearerRefused.Load(); n != 1 {
		t.Fatalf("bearer refusals counted %d, want 1", n)
	}
}

func TestQuerySocket(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{AllowBearer: true}, "")
	ok := httpRegister(t, ctx, ts, signaling.RegisterPath, typeA, "")
	id, _ := protocol.ActorIDFromProto(ok.GetActrId())
	c, _, err := cws.Dial(ctx, querySocketURL(ts, id, ok.GetCredential(), ""), &cws.DialOptions{HTTPClient: httpClient})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	r := &raw{c: c}
	env, err := r.answerTo(ctx, pingEnv(id, ok.GetCredential()))
	if err != nil || env.GetServerToActr().GetPong() == nil {
		t.Fatalf("ping on the query socket: %v %v", env, err)
	}
	if !ts.srv.Online(id) {
		t.Fatal("not online after its socket opened")
	}
	// The socket is the actor's: another's envelopes are refused, and so
	// is a registration (actr registers over HTTP).
	other := httpRegister(t, ctx, ts, signaling.RegisterPath, typeB, "")
	oid, _ := protocol.ActorIDFromProto(other.GetActrId())
	if env, err := r.answerTo(ctx, pingEnv(oid, other.GetCredential())); err != nil || env.GetEnvelopeError().GetCode() != signaling.CodeUnauthorized {
		t.Fatalf("another actor's ping on the socket: %v %v", env, err)
	}
	reg := &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_PeerToServer{PeerToServer: &protocol.PeerToSignaling{
		Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: &protocol.RegisterRequest{
			ActrType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("a")}, Realm: &protocol.Realm{RealmId: proto.Uint32(1)}}}}}}
	if env, err := r.answerTo(ctx, reg); err != nil || env.GetEnvelopeError().GetCode() != signaling.CodeGone {
		t.Fatalf("register_request on the query socket: %v %v", env, err)
	}
	if ts.srv.Counters().Resumes.Load() != 0 {
		t.Fatalf("a first connection after HTTP registration counted as a resume")
	}

	// URL-safe base64 without padding is accepted too.
	q := url.Values{}
	q.Set("actor_id", oid.ActrString())
	q.Set("key_id", strconv.FormatUint(uint64(other.GetCredential().GetKeyId()), 10))
	q.Set("claims", base64.RawURLEncoding.EncodeToString(other.GetCredential().GetClaims()))
	q.Set("signature", base64.RawURLEncoding.EncodeToString(other.GetCredential().GetSignature()))
	c2, _, err := cws.Dial(ctx, strings.TrimSuffix(ts.url, "/")+signaling.SocketPath+"?"+q.Encode(), &cws.DialOptions{HTTPClient: httpClient})
	if err != nil {
		t.Fatalf("URL-safe base64: %v", err)
	}
	c2.CloseNow()
}

func TestQuerySocketRefusedBeforeUpgrade(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	ok := httpRegister(t, ctx, ts, signaling.RegisterPath, typeA, "")
	id, _ := protocol.ActorIDFromProto(ok.GetActrId())
	cred := ok.GetCredential()
	other := httpRegister(t, ctx, ts, signaling.RegisterPath, typeB, "")
	oid, _ := protocol.ActorIDFromProto(other.GetActrId())
	base := strings.TrimSuffix(ts.url, "/") + signaling.SocketPath
	good := querySocketURL(ts, id, cred, "")

	forged := proto.Clone(cred).(*protocol.AIdCredential)
	forged.Signature = append([]byte(nil), forged.Signature...)
	forged.Signature[0] ^= 1
	expiredCred, _, err := ts.iss.IssueAt(id, time.Now().Add(-2*time.Hour), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		url    string
		status int
	}{
		{"no query", base, http.StatusBadRequest},
		{"no signature", strings.Replace(good, "signature=", "nosig=", 1), http.StatusBadRequest},
		{"bad actor_id", querySocketURL(ts, id, cred, "") + "&actor_id=x", http.StatusBadRequest},
		{"actor_id garbage", strings.Replace(good, "actor_id=", "actor_id=zz%40&x=", 1), http.StatusBadRequest},
		{"bad key_id", strings.Replace(good, "key_id=", "key_id=x", 1), http.StatusBadRequest},
		{"bad base64", strings.Replace(good, "claims=", "claims=%21%21", 1), http.StatusBadRequest},
		{"bad webrtc_role", good + "&webrtc_role=boss", http.StatusBadRequest},
		{"forged", querySocketURL(ts, id, forged, ""), http.StatusUnauthorized},
		{"expired", querySocketURL(ts, id, expiredCred, ""), http.StatusUnauthorized},
		{"another's credential", querySocketURL(ts, oid, cred, ""), http.StatusUnauthorized},
	}
	for _, tc := range cases {
		_, resp, err := cws.Dial(ctx, tc.url, &cws.DialOptions{HTTPClient: httpClient})
		if err == nil || resp == nil || resp.StatusCode != tc.status {
			code := 0
			if resp != nil {
				code = resp.StatusCode
			}
			t.Fatalf("%s: %d (%v), want %d", tc.name, code, err, tc.status)
		}
	}
	c := ts.srv.Counters()
	if n := c.Connections.Load(); n != 0 {
		t.Fatalf("%d connections upgraded", n)
	}
	if c.Refused(signaling.RefusedSocketQuery) != 7 || c.Refused(signaling.RefusedSocketCredential) != 3 {
		t.Fatalf("refusals: query %d, credential %d", c.Refused(signaling.RefusedSocketQuery), c.Refused(signaling.RefusedSocketCredential))
	}
	// POST to the socket path.
	if status, _, _ := post(t, ctx, ts.httpURL(signaling.SocketPath), "text/plain", nil, nil); status != http.StatusMethodNotAllowed {
		t.Fatalf("POST to the socket: %d", status)
	}
}

func TestWSAddressInRouteCandidates(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{AllowBearer: true}, "")
	gate := httpRegister(t, ctx, ts, signaling.RegisterPath, typeB, "ws://127.0.0.1:9/actr/"+signaling.ActorIDPlaceholder)
	gid, _ := protocol.ActorIDFromProto(gate.GetActrId())
	plain := httpRegister(t, ctx, ts, signaling.RegisterPath, typeB, "")
	pid, _ := protocol.ActorIDFromProto(plain.GetActrId())
	for _, ok := range []*protocol.RegisterOk{gate, plain} {
		id, _ := protocol.ActorIDFromProto(ok.GetActrId())
		c, _, err := cws.Dial(ctx, querySocketURL(ts, id, ok.GetCredential(), ""), &cws.DialOptions{HTTPClient: httpClient})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		if _, err := (&raw{c: c}).answerTo(ctx, pingEnv(id, ok.GetCredential())); err != nil {
			t.Fatal(err)
		}
	}
	a := dial(t, ctx, ts.url, typeA, 1)
	ids, err := a.RouteCandidates(ctx, typeB, 0)
	if err != nil || len(ids) != 2 {
		t.Fatalf("candidates %v %v", ids, err)
	}
	u, err := a.GateURL(ctx, gid)
	if want := "ws://127.0.0.1:9/actr/" + gid.String(); err != nil || u != want {
		t.Fatalf("gate of %s: %q %v, want %q", gid, u, err, want)
	}
	if u, err := a.GateURL(ctx, pid); err != nil || u != "" {
		t.Fatalf("gate of %s, which registered none: %q %v", pid, u, err)
	}
}

// answerTo sends env and reads until its answer.
func (r *raw) answerTo(ctx context.Context, env *protocol.SignalingEnvelope) (*protocol.SignalingEnvelope, error) {
	id, err := r.send(ctx, env)
	if err != nil {
		return nil, err
	}
	return r.answer(ctx, id)
}

func verifierOf(ts *testServer) *auth.Verifier {
	return auth.NewVerifier(map[uint32]ed25519.PublicKey{ts.iss.KeyID(): ts.iss.PublicKey()})
}

// TypeOfID is signaling.TypeOf, for brevity.
func TypeOfID(id protocol.ActorID) signaling.ActorType { return signaling.TypeOf(id) }

func TestHTTPRenew(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	ok := httpRegister(t, ctx, ts, signaling.RegisterPath, typeA, "")
	id, _ := protocol.ActorIDFromProto(ok.GetActrId())
	if len(ok.GetRenewalToken()) == 0 || ok.GetRenewalTokenExpiresAt() == nil {
		t.Fatalf("no renewal token in %v", ok)
	}
	renew := func(path string, tok []byte) (int, *protocol.RenewCredentialResponse) {
		b, _ := proto.Marshal(&protocol.RenewCredentialRequest{ActrId: id.Proto(), RenewalToken: tok})
		status, _, body := post(t, ctx, ts.httpURL(path), signaling.ContentTypeProtobuf, b, nil)
		var resp protocol.RenewCredentialResponse
		if err := proto.Unmarshal(body, &resp); err != nil {
			t.Fatal(err)
		}
		return status, &resp
	}
	first := ok.GetRenewalToken()
	for _, path := range []string{signaling.RenewPath, signaling.AISRenewPath} {
		status, resp := renew(path, ok.GetRenewalToken())
		if status != http.StatusOK || resp.GetSuccess() == nil {
			t.Fatalf("%s: %d %v", path, status, resp.GetError())
		}
		if _, err := verifierOf(ts).VerifyFor(resp.GetSuccess().GetCredential(), id); err != nil {
			t.Fatal(err)
		}
		ok = resp.GetSuccess()
	}
	if status, resp := renew(signaling.RenewPath, []byte("guess")); status != http.StatusUnauthorized || resp.GetError().GetCode() != signaling.CodeUnauthorized {
		t.Fatalf("wrong token: %d %v", status, resp)
	}
	if n := ts.srv.Counters().Refused(signaling.RefusedRenewal); n != 1 {
		t.Fatalf("renewal refusals %d", n)
	}

	// Renewing rotated the token: the first one no longer works.
	if status, _ := renew(signaling.RenewPath, first); status != http.StatusUnauthorized {
		t.Fatalf("a rotated-out token: %d", status)
	}
}

// A client holding a renewal token renews over HTTP.
func TestClientRenewsOverHTTP(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	a := dial(t, ctx, ts.url, typeA, 1)
	before := a.Credential()
	if err := a.RenewCredential(ctx); err != nil {
		t.Fatal(err)
	}
	if a.Credential() == before {
		t.Fatal("the credential was not replaced")
	}
	if err := a.Ping(ctx); err != nil {
		t.Fatalf("ping with the renewed credential: %v", err)
	}
}
