package actrpeer

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// Handshake headers of actr's WebSocket wire.
const (
	headerSource     = "X-Actr-Source-ID"  // hex of the encoded ActrId
	headerCredential = "X-Actr-Credential" // padded standard base64 of the encoded AIdCredential
)

// WS is one WebSocket wire to or from a peer.
type WS struct {
	p    *Peer
	c    *websocket.Conn
	from string
	mu   sync.Mutex // one writer at a time
}

// DialGate connects to a gate at url the actr way: source id and bearer
// credential in the handshake headers, no proof.
func (p *Peer) DialGate(ctx context.Context, url string) (*WS, error) {
	cred, err := proto.Marshal(p.Credential)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(headerSource, p.EncodedID())
	h.Set(headerCredential, base64.StdEncoding.EncodeToString(cred))
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("gate %s: %s: %w", url, resp.Status, err)
		}
		return nil, err
	}
	c.SetReadLimit(16 << 20)
	w := &WS{p: p, c: c}
	p.spawn(w.readLoop)
	return w, nil
}

// Gate returns an http.Handler that accepts WebSocket wires from peers of
// the peer's realm: it reads X-Actr-Source-ID and X-Actr-Credential and
// verifies the credential offline with the signing key from registration
// (claims signed by it, naming the source, not expired).
func (p *Peer) Gate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src, err := hex.DecodeString(r.Header.Get(headerSource))
		var id protocol.ActrId
		if err != nil || proto.Unmarshal(src, &id) != nil {
			http.Error(w, "bad "+headerSource, http.StatusBadRequest)
			return
		}
		b, err := base64.StdEncoding.DecodeString(r.Header.Get(headerCredential))
		var cred protocol.AIdCredential
		if err != nil || proto.Unmarshal(b, &cred) != nil {
			http.Error(w, "bad "+headerCredential, http.StatusUnauthorized)
			return
		}
		if why := p.verify(&id, &cred); why != "" {
			p.logf("gate refused %s: %s", hexID(&id), why)
			http.Error(w, why, http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.SetReadLimit(16 << 20)
		ws := &WS{p: p, c: c, from: hexID(&id)}
		if !p.track() {
			_ = c.CloseNow()
			return
		}
		defer p.wg.Done()
		ws.readLoop()
	})
}

// verify checks cred offline, the way actr's gates do, and says why not.
func (p *Peer) verify(id *protocol.ActrId, cred *protocol.AIdCredential) string {
	if cred.GetKeyId() != p.SigningKeyID {
		return "unknown key id " + strconv.FormatUint(uint64(cred.GetKeyId()), 10)
	}
	if !ed25519.Verify(p.SigningKey, cred.GetClaims(), cred.GetSignature()) {
		return "bad signature"
	}
	var claims protocol.IdentityClaims
	if err := proto.Unmarshal(cred.GetClaims(), &claims); err != nil {
		return "claims do not decode"
	}
	t := id.GetType()
	want := strconv.FormatUint(id.GetSerialNumber(), 16) + "@" + strconv.FormatUint(uint64(id.GetRealm().GetRealmId()), 10) +
		"/" + t.GetManufacturer() + ":" + t.GetName() + ":" + t.GetVersion()
	switch {
	case claims.GetActorId() != want:
		return fmt.Sprintf("the credential names %q, the source is %q", claims.GetActorId(), want)
	case claims.GetRealmId() != id.GetRealm().GetRealmId() || claims.GetRealmId() != p.ID.GetRealm().GetRealmId():
		return "another realm"
	case time.Unix(int64(claims.GetExpiresAt()), 0).Before(time.Now()):
		return "expired"
	}
	return ""
}

// Send writes one frame: [payload type u8][length u32 BE][payload].
func (w *WS) Send(ctx context.Context, pt protocol.PayloadType, msg []byte) error {
	w.p.sentByMe(msg)
	return w.send(ctx, pt, msg)
}

func (w *WS) send(ctx context.Context, pt protocol.PayloadType, msg []byte) error {
	f := make([]byte, 5, 5+len(msg))
	f[0] = byte(pt)
	binary.BigEndian.PutUint32(f[1:], uint32(len(msg)))
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.c.Write(ctx, websocket.MessageBinary, append(f, msg...))
}

// Close closes the wire.
func (w *WS) Close() { _ = w.c.Close(websocket.StatusNormalClosure, "bye") }

func (w *WS) readLoop() {
	for {
		typ, b, err := w.c.Read(w.p.ctx)
		if err != nil {
			if w.p.ctx.Err() == nil && !strings.Contains(err.Error(), "StatusNormalClosure") {
				w.p.logf("websocket: %v", err)
			}
			return
		}
		if typ != websocket.MessageBinary || len(b) < 5 || int(binary.BigEndian.Uint32(b[1:])) != len(b)-5 || b[0] > 3 {
			w.p.logf("websocket: a bad frame")
			_ = w.c.Close(websocket.StatusUnsupportedData, "bad frame")
			return
		}
		pt, msg := protocol.PayloadType(b[0]), b[5:]
		select {
		case w.p.Received <- Message{Wire: "websocket", From: w.from, Type: pt, Data: msg}:
		default:
		}
		if w.p.isEcho(msg) {
			continue
		}
		w.p.spawn(func() {
			ctx, cancel := context.WithTimeout(w.p.ctx, 5*time.Second)
			defer cancel()
			if err := w.send(ctx, pt, msg); err != nil {
				w.p.logf("echo over websocket: %v", err)
			}
		})
	}
}
