package actrpeer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// Peer is one registered actr-style actor.
type Peer struct {
	ID         *protocol.ActrId
	Credential *protocol.AIdCredential
	// SigningKey verifies credentials offline; SigningKeyID names it.
	SigningKey   ed25519.PublicKey
	SigningKeyID uint32
	Heartbeat    time.Duration

	base   string // http(s)://host:port of the signaling server
	sock   *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pending map[string]chan *protocol.SignalingEnvelope
	seq     uint64
	// sessions are the WebRTC sessions by the peer's encoded ActrId.
	sessions map[string]*rtcSession
	added    chan struct{} // closed and replaced when a session is added
	closing  bool
	// mine counts the payloads this peer sent (not echoes): what comes
	// back equal to one of them is the far side's echo, and is not
	// echoed again.
	mine map[string]int
	// Received is where every message that reached this peer is reported.
	Received chan Message
	// Log, when set, is told what the peer does (tests pass t.Logf).
	Log func(format string, args ...any)
}

// Message is one message received, on either wire.
type Message struct {
	Wire string // "webrtc" or "websocket"
	From string // hex of the sender's encoded ActrId, when known
	Type protocol.PayloadType
	Data []byte
}

// Register registers an actor of type typ in realm with the signaling
// server at base (http://host:port) by POST /register, the actr way.
// wsAddress, when set, is registered as the actor's WebSocket gate.
func Register(ctx context.Context, base string, realm uint32, typ *protocol.ActrType, wsAddress string) (*Peer, error) {
	req := &protocol.RegisterRequest{ActrType: typ, Realm: &protocol.Realm{RealmId: proto.Uint32(realm)}}
	if wsAddress != "" {
		req.WsAddress = proto.String(wsAddress)
	}
	body, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/register", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST /register: %s: %q", resp.Status, b)
	}
	var out protocol.RegisterResponse
	if err := proto.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("POST /register: the answer is not a RegisterResponse: %w", err)
	}
	if e := out.GetError(); e != nil {
		return nil, fmt.Errorf("POST /register refused: %d %s", e.GetCode(), e.GetMessage())
	}
	ok := out.GetSuccess()
	if ok.GetActrId() == nil || ok.GetCredential() == nil || len(ok.GetSigningPubkey()) != ed25519.PublicKeySize || ok.SigningKeyId == nil ||
		ok.GetTurnCredential() == nil || ok.SignalingHeartbeatIntervalSecs == nil {
		return nil, fmt.Errorf("POST /register: RegisterOk lacks a field actr requires: %v", ok)
	}
	return &Peer{
		ID: ok.GetActrId(), Credential: ok.GetCredential(),
		SigningKey: ok.GetSigningPubkey(), SigningKeyID: ok.GetSigningKeyId(),
		Heartbeat: time.Duration(ok.GetSignalingHeartbeatIntervalSecs()) * time.Second,
		base:      base, pending: map[string]chan *protocol.SignalingEnvelope{},
		sessions: map[string]*rtcSession{}, added: make(chan struct{}), mine: map[string]int{},
		Received: make(chan Message, 1024),
	}, nil
}

// ActrString is the peer's id in actr's text form.
func (p *Peer) ActrString() string {
	t := p.ID.GetType()
	return strconv.FormatUint(p.ID.GetSerialNumber(), 16) + "@" + strconv.FormatUint(uint64(p.ID.GetRealm().GetRealmId()), 10) +
		"/" + t.GetManufacturer() + ":" + t.GetName() + ":" + t.GetVersion()
}

// EncodedID is the hex of the peer's encoded ActrId (the X-Actr-Source-ID form).
func (p *Peer) EncodedID() string { return hexID(p.ID) }

func hexID(id *protocol.ActrId) string {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(id)
	return hex.EncodeToString(b)
}

// Connect opens the signaling socket with the identity in the query
// string, checked by the server before the upgrade, and starts reading
// it and heartbeating. answerOnly adds webrtc_role=answer.
func (p *Peer) Connect(ctx context.Context, answerOnly bool) error {
	q := url.Values{}
	q.Set("actor_id", p.ActrString())
	q.Set("key_id", strconv.FormatUint(uint64(p.Credential.GetKeyId()), 10))
	q.Set("claims", base64.StdEncoding.EncodeToString(p.Credential.GetClaims()))
	q.Set("signature", base64.StdEncoding.EncodeToString(p.Credential.GetSignature()))
	if answerOnly {
		q.Set("webrtc_role", "answer")
	}
	wsBase := "ws" + strings.TrimPrefix(p.base, "http")
	c, resp, err := websocket.Dial(ctx, wsBase+"/signaling/ws?"+q.Encode(), nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("signaling socket: %s: %w", resp.Status, err)
		}
		return fmt.Errorf("signaling socket: %w", err)
	}
	c.SetReadLimit(1 << 20)
	p.sock = c
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(2)
	go p.readLoop()
	go p.heartbeat()
	return nil
}

// Close closes the signaling socket and every WebRTC session, and waits.
func (p *Peer) Close() {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
	}
	if p.sock != nil {
		_ = p.sock.Close(websocket.StatusNormalClosure, "bye")
	}
	p.mu.Lock()
	ss := p.sessions
	p.sessions = map[string]*rtcSession{}
	p.mu.Unlock()
	for _, s := range ss {
		s.close()
	}
	p.wg.Wait()
}

func (p *Peer) logf(format string, args ...any) {
	if p.Log != nil {
		p.Log("actrpeer: "+format, args...)
	}
}

func (p *Peer) nextID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	var r [4]byte
	_, _ = rand.Read(r[:])
	return "p" + hex.EncodeToString(r[:]) + strconv.FormatUint(p.seq, 10)
}

// send writes one envelope, stamping version 2 and an envelope id.
func (p *Peer) send(ctx context.Context, env *protocol.SignalingEnvelope) (string, error) {
	id := p.nextID()
	env.EnvelopeVersion = proto.Uint32(2)
	env.EnvelopeId = proto.String(id)
	b, err := proto.Marshal(env)
	if err != nil {
		return "", err
	}
	return id, p.sock.Write(ctx, websocket.MessageBinary, b)
}

// call sends env and waits for the envelope whose reply_for names it.
func (p *Peer) call(ctx context.Context, env *protocol.SignalingEnvelope) (*protocol.SignalingEnvelope, error) {
	ch := make(chan *protocol.SignalingEnvelope, 1)
	id := p.nextID()
	p.mu.Lock()
	p.pending[id] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
	}()
	env.EnvelopeVersion = proto.Uint32(2)
	env.EnvelopeId = proto.String(id)
	b, err := proto.Marshal(env)
	if err != nil {
		return nil, err
	}
	if err := p.sock.Write(ctx, websocket.MessageBinary, b); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if e := r.GetEnvelopeError(); e != nil {
			return nil, fmt.Errorf("signaling refused: %d %s", e.GetCode(), e.GetMessage())
		}
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *Peer) actr(payload func(*protocol.ActrToSignaling)) *protocol.SignalingEnvelope {
	m := &protocol.ActrToSignaling{Source: p.ID, Credential: p.Credential}
	payload(m)
	return &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrToServer{ActrToServer: m}}
}

func (p *Peer) relay(ctx context.Context, target *protocol.ActrId, payload func(*protocol.ActrRelay)) error {
	r := &protocol.ActrRelay{Source: p.ID, Credential: p.Credential, Target: target}
	payload(r)
	_, err := p.send(ctx, &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: r}})
	return err
}

// Ping sends one heartbeat and waits for its Pong.
func (p *Peer) Ping(ctx context.Context) (*protocol.Pong, error) {
	r, err := p.call(ctx, p.actr(func(m *protocol.ActrToSignaling) {
		m.Payload = &protocol.ActrToSignaling_Ping{Ping: &protocol.Ping{
			Availability: protocol.ServiceAvailabilityState_FULL.Enum(), PowerReserve: proto.Float32(1), MailboxBacklog: proto.Float32(0)}}
	}))
	if err != nil {
		return nil, err
	}
	pong := r.GetServerToActr().GetPong()
	if pong == nil {
		return nil, fmt.Errorf("a ping was answered with %v", r)
	}
	return pong, nil
}

// RouteCandidates asks for actors of typ, with the WebSocket addresses
// the server knows for them.
func (p *Peer) RouteCandidates(ctx context.Context, typ *protocol.ActrType) (*protocol.RouteCandidatesOk, error) {
	r, err := p.call(ctx, p.actr(func(m *protocol.ActrToSignaling) {
		m.Payload = &protocol.ActrToSignaling_RouteCandidatesRequest{RouteCandidatesRequest: &protocol.RouteCandidatesRequest{
			TargetType:        typ,
			Criteria:          &protocol.NodeSelectionCriteria{CandidateCount: proto.Uint32(8)},
			ClientFingerprint: proto.String(""),
		}}
	}))
	if err != nil {
		return nil, err
	}
	rc := r.GetServerToActr().GetRouteCandidatesResponse()
	if e := rc.GetError(); e != nil {
		return nil, fmt.Errorf("route candidates refused: %d %s", e.GetCode(), e.GetMessage())
	}
	return rc.GetSuccess(), nil
}

// GetSigningKey fetches the verifying key of key id over signaling.
func (p *Peer) GetSigningKey(ctx context.Context, keyID uint32) (ed25519.PublicKey, error) {
	r, err := p.call(ctx, p.actr(func(m *protocol.ActrToSignaling) {
		m.Payload = &protocol.ActrToSignaling_GetSigningKeyRequest{GetSigningKeyRequest: &protocol.GetSigningKeyRequest{KeyId: proto.Uint32(keyID)}}
	}))
	if err != nil {
		return nil, err
	}
	k := r.GetServerToActr().GetGetSigningKeyResponse()
	if k == nil || k.GetKeyId() != keyID || len(k.GetPubkey()) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("get_signing_key answered with %v", r)
	}
	return k.GetPubkey(), nil
}

func (p *Peer) heartbeat() {
	defer p.wg.Done()
	every := min(max(p.Heartbeat/2, time.Second), 10*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
			if _, err := p.Ping(ctx); err != nil && p.ctx.Err() == nil {
				p.logf("heartbeat: %v", err)
			}
			cancel()
		}
	}
}

func (p *Peer) readLoop() {
	defer p.wg.Done()
	for {
		_, b, err := p.sock.Read(p.ctx)
		if err != nil {
			if p.ctx.Err() == nil {
				p.logf("signaling socket: %v", err)
			}
			return
		}
		var env protocol.SignalingEnvelope
		if err := proto.Unmarshal(b, &env); err != nil {
			p.logf("undecodable envelope: %v", err)
			continue
		}
		if rf := env.GetReplyFor(); rf != "" {
			p.mu.Lock()
			ch := p.pending[rf]
			p.mu.Unlock()
			if ch != nil {
				// An answer, a role assignment too: the caller acts on it.
				select {
				case ch <- &env:
				default:
				}
				continue
			}
		}
		if r := env.GetActrRelay(); r != nil {
			p.onRelay(r)
		}
	}
}

// track counts a goroutine Close waits for, unless closing; the caller
// calls p.wg.Done when it ends.
func (p *Peer) track() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.wg.Add(1)
	return true
}

// spawn runs f on a goroutine that Close waits for, unless closing.
func (p *Peer) spawn(f func()) {
	if !p.track() {
		return
	}
	go func() {
		defer p.wg.Done()
		f()
	}()
}

// sentByMe records msg as this peer's own, for isEcho.
func (p *Peer) sentByMe(msg []byte) {
	p.mu.Lock()
	p.mine[string(msg)]++
	p.mu.Unlock()
}

// isEcho reports, once per message sent, whether msg came back.
func (p *Peer) isEcho(msg []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.mine[string(msg)]
	if n == 0 {
		return false
	}
	if n == 1 {
		delete(p.mine, string(msg))
	} else {
		p.mine[string(msg)] = n - 1
	}
	return true
}
