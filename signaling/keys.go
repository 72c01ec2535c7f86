package signaling

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// KeysPath is where a Server publishes the public keys its credentials
// are signed with (GET, JSON), so that gates can verify the actors it
// registered without a key file copied to every node. Fetch them over
// wss:// (https) in production: over plain ws:// whoever sits on the path
// chooses which credentials the gate trusts.
const KeysPath = "/keys"

// PublicKeys is the document served at KeysPath.
type PublicKeys struct {
	Keys []PublicKey `json:"keys"`
}

// PublicKey is one Ed25519 credential-signing key.
type PublicKey struct {
	KeyID   uint32 `json:"key_id"`
	Ed25519 []byte `json:"ed25519"` // 32 bytes, base64 in JSON
}

func (s *Server) serveKeys(w http.ResponseWriter) {
	doc := PublicKeys{Keys: []PublicKey{{KeyID: s.cfg.Issuer.KeyID(), Ed25519: s.cfg.Issuer.PublicKey()}}}
	if s.cluster != nil {
		// Every server's key, so that a gate trusts the credentials of
		// the whole cluster, whichever server it asks.
		keys := s.cluster.Keys()
		ids := slices.Sorted(maps.Keys(keys))
		for _, id := range ids {
			if id != s.cfg.Issuer.KeyID() {
				doc.Keys = append(doc.Keys, PublicKey{KeyID: id, Ed25519: keys[id]})
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(doc)
}

// isKeysRequest reports whether r asks for the public keys rather than
// opening a signaling session.
func isKeysRequest(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, KeysPath) &&
		!strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// FetchKeys gets the public keys of the signaling server at signalingURL
// (its ws:// or wss:// URL), for an auth.Verifier. client nil uses
// http.DefaultClient.
func FetchKeys(ctx context.Context, signalingURL string, client *http.Client) (map[uint32]ed25519.PublicKey, error) {
	u, err := url.Parse(signalingURL)
	if err != nil {
		return nil, fmt.Errorf("signaling: bad server URL %q: %w", signalingURL, err)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	case "http", "https":
	default:
		return nil, fmt.Errorf("signaling: server URL %q: want ws:// or wss://", signalingURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + KeysPath
	u.RawQuery = ""
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("signaling: fetching the server's public keys: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("signaling: fetching the server's public keys from %s: %s", u, resp.Status)
	}
	var doc PublicKeys
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("signaling: the public keys from %s do not parse: %w", u, err)
	}
	keys := make(map[uint32]ed25519.PublicKey, len(doc.Keys))
	for _, k := range doc.Keys {
		if len(k.Ed25519) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("signaling: key %d from %s has %d bytes, want %d", k.KeyID, u, len(k.Ed25519), ed25519.PublicKeySize)
		}
		keys[k.KeyID] = ed25519.PublicKey(k.Ed25519)
	}
	if len(keys) == 0 {
		return nil, errors.New("signaling: the server published no public keys")
	}
	return keys, nil
}
