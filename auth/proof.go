package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// A proof of possession ([protocol.ProofOfPossession]) shows that whoever
// presents a holder-bound credential holds the private half of the
// credential's holder key, for one audience, at one time, once. The holder
// signs, with Ed25519, proofDomain followed by an encoded ProofBody:
//
//	source        (1)  the credential's actor
//	audience      (2)  the party the proof is for ([GateAudience], or the
//	                   signaling server's name)
//	timestamp_ms  (3)  Unix milliseconds
//	nonce         (4)  16 random bytes
//	claims_sha256 (5)  SHA-256 of the credential's claims bytes
//
// A party that sees a proof (a malicious gate, a peer) cannot present it
// elsewhere (the audience is its own), later (the timestamp window) or
// again where it was meant to go (the nonce cache of [ProofChecker]); nor
// can it make another, lacking the holder's private key.
const (
	proofDomain = "actr-go/proof-of-possession/v1\n"
	// NonceSize is the length of a proof's nonce.
	NonceSize = 16
	// MaxProofHeaderLen bounds the X-Actr-Proof header form of a proof.
	MaxProofHeaderLen = 2048
	maxProofBodyLen   = 1024
)

// Reasons a proof is refused; each comes inside a [*VerifyError].
var (
	ErrNoProof         = errors.New("auth: holder-bound credential presented without a proof of possession")
	ErrBadProof        = errors.New("auth: proof of possession is malformed, not signed by the holder key, or not for this credential")
	ErrWrongAudience   = errors.New("auth: proof of possession was made for another party")
	ErrStaleProof      = errors.New("auth: proof of possession is outside the time window")
	ErrReplayedProof   = errors.New("auth: proof of possession was already used")
	ErrReplayCacheFull = errors.New("auth: too many recent proofs of possession to remember another")
	ErrBearer          = errors.New("auth: bearer credential (no holder key) refused")
)

// GateAudience is the audience of proofs presented to the gate of actor
// id: "gate:" and its text form.
func GateAudience(id protocol.ActorID) string { return "gate:" + id.String() }

// SignalingAudience is the default audience of proofs presented to a
// signaling server whose issuer key is pub: "signaling:" and the first 16
// bytes of its SHA-256 in hex. Servers sharing an issuer key share it.
func SignalingAudience(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "signaling:" + hex.EncodeToString(sum[:16])
}

// Prove makes a proof that the holder of key presents cred, as source, to
// audience, at now. It refuses a key that is not the credential's holder
// key (so a misconfigured node learns it at once rather than from a gate).
func Prove(key ed25519.PrivateKey, cred *protocol.AIdCredential, source protocol.ActorID, audience string, now time.Time) (*protocol.ProofOfPossession, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("auth: a holder key is a %d-byte Ed25519 private key, not %d bytes", ed25519.PrivateKeySize, len(key))
	}
	c, err := decodeClaims(cred.GetClaims())
	if err != nil {
		return nil, fmt.Errorf("auth: proving possession: %w", err)
	}
	if !c.Bound() || !c.HolderKey.Equal(key.Public()) {
		return nil, errors.New("auth: proving possession: the credential is not bound to this key")
	}
	var nonce [NonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("auth: proving possession: %w", err)
	}
	sum := sha256.Sum256(cred.GetClaims())
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(&protocol.ProofBody{
		Source:       source.Proto(),
		Audience:     proto.String(audience),
		TimestampMs:  proto.Uint64(uint64(max(now.UnixMilli(), 0))),
		Nonce:        nonce[:],
		ClaimsSha256: sum[:],
	})
	if err != nil {
		return nil, fmt.Errorf("auth: proving possession: %w", err)
	}
	if len(body) > maxProofBodyLen {
		return nil, fmt.Errorf("auth: proving possession: a proof of %d bytes is over the %d-byte limit (audience too long?)", len(body), maxProofBodyLen)
	}
	return &protocol.ProofOfPossession{Body: body, Signature: ed25519.Sign(key, signedProofBytes(body))}, nil
}

func signedProofBytes(body []byte) []byte {
	return append([]byte(proofDomain), body...)
}

// EncodeProofHeader returns p in the form carried by the X-Actr-Proof
// handshake header: standard padded base64 of the encoded message.
func EncodeProofHeader(p *protocol.ProofOfPossession) string { return encodeHeaderMessage(p) }

// DecodeProofHeader parses the header form of a proof, strictly (see
// [DecodeHeader]); it checks the form only.
func DecodeProofHeader(s string) (*protocol.ProofOfPossession, error) {
	var p protocol.ProofOfPossession
	if err := decodeHeaderMessage(s, headerProofName, MaxProofHeaderLen, ErrBadProof, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Defaults of a [ProofChecker].
const (
	// DefaultProofWindow is how far a proof's timestamp may be from the
	// checker's clock, either way.
	DefaultProofWindow = 30 * time.Second
	// DefaultMaxProofs bounds the proofs a checker remembers (each for
	// twice the window), so that it can refuse them a second time.
	DefaultMaxProofs = 65536
)

// ProofChecker checks proofs made for one audience and remembers, for
// twice the window, those it accepted, refusing them a second time. What
// it remembers is bounded (MaxProofs): when it is full of proofs still in
// their window, further proofs are refused with [ErrReplayCacheFull] until
// some expire (fail closed: a flood of genuine proofs slows honest callers
// rather than opening a replay window). It is safe for concurrent use.
type ProofChecker struct {
	audience string
	window   time.Duration
	max      int

	mu   sync.Mutex
	seen map[[sha256.Size]byte]time.Time // proof body hash -> forget after
	// full counts proofs refused because the cache was full.
	full uint64
}

// NewProofChecker returns a checker for proofs made for audience. A window
// or max of zero or less takes the default.
func NewProofChecker(audience string, window time.Duration, maxProofs int) *ProofChecker {
	if window <= 0 {
		window = DefaultProofWindow
	}
	if maxProofs <= 0 {
		maxProofs = DefaultMaxProofs
	}
	return &ProofChecker{audience: audience, window: window, max: maxProofs, seen: map[[sha256.Size]byte]time.Time{}}
}

// Audience is the audience the checker accepts.
func (pc *ProofChecker) Audience() string { return pc.audience }

// Remembered is how many proofs the checker remembers now.
func (pc *ProofChecker) Remembered() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.seen)
}

// Check checks that p proves, at now, possession of the holder key of the
// credential cred whose verified claims are claims, for the checker's
// audience, and that it was not used before. A bearer credential (no holder
// key) is refused with [ErrBearer]: whether to accept one is the caller's
// decision, made before. Every refusal is a [*VerifyError].
func (pc *ProofChecker) Check(p *protocol.ProofOfPossession, cred *protocol.AIdCredential, claims Claims, now time.Time) error {
	no := func(reason error, detail string, args ...any) error {
		return refuse(reason, claims.KeyID, claims.Actor, detail, args...)
	}
	if !claims.Bound() {
		return no(ErrBearer, "the credential names no holder key")
	}
	if p == nil {
		return no(ErrNoProof, "sign a proof of possession with the holder key (X-Actr-Proof)")
	}
	body := p.GetBody()
	if len(body) == 0 || len(body) > maxProofBodyLen {
		return no(ErrBadProof, "a proof body of %d bytes", len(body))
	}
	if len(p.GetSignature()) != ed25519.SignatureSize || !ed25519.Verify(claims.HolderKey, signedProofBytes(body), p.GetSignature()) {
		return no(ErrBadProof, "the proof is not signed by the credential's holder key")
	}
	var b protocol.ProofBody
	if err := proto.Unmarshal(body, &b); err != nil {
		return no(ErrBadProof, "the proof body is not a ProofBody message")
	}
	src, err := protocol.ActorIDFromProto(b.GetSource())
	if err != nil || src != claims.Actor {
		return no(ErrBadProof, "the proof names another source than the credential's actor")
	}
	sum := sha256.Sum256(cred.GetClaims())
	if !bytes.Equal(b.GetClaimsSha256(), sum[:]) {
		return no(ErrBadProof, "the proof was made for another credential")
	}
	if b.GetAudience() != pc.audience {
		return no(ErrWrongAudience, "it was made for %q, not %q: a proof is good only where it was meant to go", truncateText(b.GetAudience(), 100), pc.audience)
	}
	if b.Nonce == nil || len(b.GetNonce()) != NonceSize || b.TimestampMs == nil {
		return no(ErrBadProof, "a proof needs a timestamp and a %d-byte nonce", NonceSize)
	}
	ts := time.UnixMilli(int64(min(b.GetTimestampMs(), uint64(maxUnix)*1000)))
	if d := now.Sub(ts); d > pc.window || d < -pc.window {
		return no(ErrStaleProof, "made at %s, %s from this party's clock (window ±%s): make a fresh proof, and synchronise clocks (NTP)",
			ts.UTC().Format(time.RFC3339), d.Truncate(time.Millisecond), pc.window)
	}
	key := sha256.Sum256(body)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if _, ok := pc.seen[key]; ok {
		return no(ErrReplayedProof, "a proof is good once: make a fresh one for each connection")
	}
	if len(pc.seen) >= pc.max {
		for k, forget := range pc.seen {
			if !now.Before(forget) {
				delete(pc.seen, k)
			}
		}
		if len(pc.seen) >= pc.max {
			pc.full++
			return no(ErrReplayCacheFull, "%d recent proofs are remembered already; retry in a few seconds", pc.max)
		}
	}
	pc.seen[key] = ts.Add(2 * pc.window) // after which its timestamp is refused anyway
	return nil
}

// FullRefusals counts proofs refused because the checker was full.
func (pc *ProofChecker) FullRefusals() uint64 {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.full
}

// Sweep forgets the proofs whose window has passed; Check also does when
// it is full. Call it now and then to give memory back.
func (pc *ProofChecker) Sweep(now time.Time) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for k, forget := range pc.seen {
		if !now.Before(forget) {
			delete(pc.seen, k)
		}
	}
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
