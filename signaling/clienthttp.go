package signaling

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// endpoints are a server's URLs, derived from the one a client is given.
type endpoints struct {
	socket   string // ws(s)://host/…/signaling/ws, without query
	register string // http(s)://host/…/register
	renew    string // http(s)://host/…/renew
}

// parseEndpoints derives the socket and HTTP URLs from a server URL: its
// base or its socket URL, ws(s):// (or http(s)://).
func parseEndpoints(raw string) (endpoints, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return endpoints{}, fmt.Errorf("signaling: bad server URL %q: %w", raw, err)
	}
	var wsScheme, httpScheme string
	switch u.Scheme {
	case "ws", "http":
		wsScheme, httpScheme = "ws", "http"
	case "wss", "https":
		wsScheme, httpScheme = "wss", "https"
	default:
		return endpoints{}, fmt.Errorf("signaling: server URL %q: want ws:// or wss://", raw)
	}
	if u.Host == "" {
		return endpoints{}, fmt.Errorf("signaling: server URL %q has no host", raw)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), SocketPath)
	base = strings.TrimSuffix(base, "/")
	at := func(scheme, path string) string {
		v := url.URL{Scheme: scheme, Host: u.Host, Path: base + path}
		return v.String()
	}
	return endpoints{socket: at(wsScheme, SocketPath), register: at(httpScheme, RegisterPath), renew: at(httpScheme, RenewPath)}, nil
}

// socketURL is the socket URL with the identity in its query, as actr's
// client writes it: actor_id in actr's text form, key_id in decimal, claims
// and signature in standard padded base64.
func (e endpoints) socketURL(id protocol.ActorID, cred *protocol.AIdCredential, proof *protocol.ProofOfPossession, answerOnly bool) string {
	q := url.Values{}
	q.Set(QueryActorID, id.ActrString())
	q.Set(QueryKeyID, strconv.FormatUint(uint64(cred.GetKeyId()), 10))
	q.Set(QueryClaims, base64.StdEncoding.EncodeToString(cred.GetClaims()))
	q.Set(QuerySignature, base64.StdEncoding.EncodeToString(cred.GetSignature()))
	if proof != nil {
		if b, err := proto.Marshal(proof); err == nil {
			q.Set(QueryProof, base64.StdEncoding.EncodeToString(b))
		}
	}
	if answerOnly {
		q.Set(QueryWebRTCRole, WebRTCRoleAnswer)
	}
	return e.socket + "?" + q.Encode()
}

// postProtobuf POSTs req to u and decodes the answer into resp, whatever
// the status (the server answers refusals with the error in the body); it
// returns the HTTP status.
func (c *Client) postProtobuf(ctx context.Context, u string, req, resp proto.Message) (int, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.CallTimeout)
		defer cancel()
	}
	body, err := proto.Marshal(req)
	if err != nil {
		return 0, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	hr.Header.Set("Content-Type", ContentTypeProtobuf)
	hr.Header.Set("Accept", ContentTypeProtobuf)
	if c.cfg.RealmSecret != "" {
		hr.Header.Set(HeaderRealmSecret, c.cfg.RealmSecret)
		hr.Header.Set(HeaderActrixRealmSecret, c.cfg.RealmSecret) // actr's servers
	}
	// One request now and then: no idle connection is kept.
	hr.Close = true
	hc := c.cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	r, err := hc.Do(hr)
	if err != nil {
		return 0, fmt.Errorf("signaling: POST %s: %w", u, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return r.StatusCode, fmt.Errorf("signaling: POST %s: reading the answer: %w", u, err)
	}
	if err := proto.Unmarshal(b, resp); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), ContentTypeProtobuf) {
		return r.StatusCode, fmt.Errorf("signaling: POST %s: %s, not a protobuf answer", u, r.Status)
	}
	return r.StatusCode, nil
}
