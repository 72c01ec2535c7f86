package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// actr turn as its own process: a client with a credential minted from
// the shared secret allocates a relay and sends through it, and the
// metrics show the allocation and the bytes. With ACTR_TURN_CPU_MB=N it
// relays N MB and reports the TURN process's CPU per relayed MB (run
// without -race for the figure).
func TestTurnProcessRelays(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	secretFile := filepath.Join(t.TempDir(), "turn.secret")
	secret := "turn-process-test-secret-0123456789"
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "actr turn", "turn", "--listen", "127.0.0.1:0", "--no-tcp", "--allow-loopback-peers", "--bandwidth", "-1",
		"--secret-file", secretFile, "--metrics-listen", "127.0.0.1:0", "--log-level", "warn")
	urls := p.line(ctx, "TURN server ")
	metricsURL := strings.TrimSpace(p.line(ctx, "metrics "))
	var server string
	for _, f := range strings.Fields(urls) {
		if rest, ok := strings.CutPrefix(f, "stun:"); ok {
			server = rest
		}
	}
	if server == "" {
		t.Fatalf("no stun: URL in %q", urls)
	}

	id := protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "0"}
	tc := auth.NewTURNCredential([]byte(secret), id, time.Now().Add(time.Hour))
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	c, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: server, STUNServerAddr: server, Username: tc.GetUsername(),
		Password: tc.GetPassword(), Realm: "actr", Conn: conn, LoggerFactory: lf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := c.AllocateWithContext(ctx)
	if err != nil {
		t.Fatalf("allocating at the actr turn process: %v", err)
	}
	defer relay.Close()
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	mb, _ := strconv.Atoi(os.Getenv("ACTR_TURN_CPU_MB"))
	total := 64 << 10
	if mb > 0 {
		total = mb << 20
	}
	msg := make([]byte, 1000)
	want := (total + len(msg) - 1) / len(msg) * len(msg)
	// The sender keeps at most a window in flight, so that neither socket
	// overflows: the figure is of bytes relayed, not dropped. A datagram
	// lost anyway frees its place after a quiet second.
	var received atomic.Int64
	progress := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for received.Load() < int64(want) {
			_ = peer.SetReadDeadline(time.Now().Add(2 * time.Second))
			k, _, err := peer.ReadFrom(buf)
			if err != nil {
				return
			}
			received.Add(int64(k))
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	}()
	const window = 256 << 10
	cpu0 := procCPU(t, p.cmd.Process.Pid)
	start := time.Now()
	lost := 0
	for sent := 0; sent < want; sent += len(msg) {
		for sent-lost-int(received.Load()) >= window {
			select {
			case <-progress:
			case <-time.After(time.Second):
				lost = sent - int(received.Load()) // given up on
			}
		}
		if _, err := relay.WriteTo(msg, peer.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	elapsed := time.Since(start)
	cpu := procCPU(t, p.cmd.Process.Pid) - cpu0
	if mb == 0 && received.Load() != int64(want) {
		t.Fatalf("the peer received %d of %d bytes", received.Load(), want)
	}
	body := httpGet(t, ctx, metricsURL)
	relayed := metricLine(body, `actr_turn_relayed_bytes_total{direction="to_peer"}`)
	if metricLine(body, "actr_turn_allocations_total") != 1 || relayed == 0 {
		t.Fatalf("metrics: allocations %v, relayed %v", metricLine(body, "actr_turn_allocations_total"), relayed)
	}
	if mb > 0 {
		t.Logf("relayed %.1f MB (peer received %.1f MB) in %v: TURN process CPU %v, %.1f ms per relayed MB",
			relayed/1e6, float64(received.Load())/1e6, elapsed.Round(time.Millisecond), cpu, float64(cpu.Milliseconds())/(relayed/1e6))
	}
	p.stop(ctx)
}

// procCPU is the user and system CPU time pid has used (Linux /proc).
func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0 // not Linux: no figure
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
}

func metricLine(body, name string) float64 {
	for _, l := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(l, name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}

// The whole of it as processes: actr signal --turn-listen hands its TURN
// server's URLs and credentials out at registration; a node and actr
// send, given no ICE flags and allowed relay candidates only, reach each
// other through it; the server's metrics count the allocations.
func TestSignalWithTURNRelaysNodesGivenNoICEFlags(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	key := filepath.Join(t.TempDir(), "signal.key")
	sig := startProc(t, "signal", "signal", "--listen", "127.0.0.1:0", "--key", key, "--metrics-listen", "127.0.0.1:0",
		"--turn-listen", "127.0.0.1:0", "--turn-allow-loopback-peers")
	url, _, _ := strings.Cut(sig.line(ctx, "signaling server on "), " ")
	urls := sig.line(ctx, "ICE servers handed to actors: ")
	if !strings.Contains(urls, "stun:127.0.0.1:") || !strings.Contains(urls, "?transport=udp") || !strings.Contains(urls, "?transport=tcp") {
		t.Fatalf("ICE servers %q", urls)
	}
	metrics := sig.line(ctx, "metrics ")
	relayOnly := []string{"--signal", url, "--loopback-only", "--no-websocket", "--webrtc-relay-only"}
	n := startProc(t, "node", append([]string{"node"}, relayOnly...)...)
	id := n.line(ctx, "actor ")
	out, errOut, code := runOnce(t, ctx, append(append([]string{"send"}, relayOnly...), "--to", id, "--log-level", "info", "relayed hello")...)
	if code != 0 || out != "relayed hello" {
		t.Fatalf("send: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "relayed=true") {
		t.Fatalf("send's log shows no relayed path:\n%s", errOut)
	}
	if v := metricLine(httpGet(t, ctx, metrics), "actr_turn_allocations_total"); v < 2 {
		t.Fatalf("actr_turn_allocations_total %v, want one per side at least", v)
	}
	n.stop(ctx)
	sig.stop(ctx)
}

// With a certificate, actr signal serves TURN over TLS too and hands out a
// turns: URL naming --turn-host.
func TestSignalTURNOverTLSURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	certFile, keyFile := writeTestCert(t, dir)
	sig := startProc(t, "signal", "signal", "--listen", "127.0.0.1:0", "--key", filepath.Join(dir, "signal.key"),
		"--tls-cert", certFile, "--tls-key", keyFile,
		"--turn-listen", "127.0.0.1:0", "--turn-tls-listen", "127.0.0.1:0", "--turn-host", "localhost")
	urls := sig.line(ctx, "ICE servers handed to actors: ")
	if !strings.Contains(urls, "turns:localhost:") || !strings.Contains(urls, "stun:localhost:") {
		t.Fatalf("ICE servers %q: want turns: and stun: URLs naming localhost", urls)
	}
	sig.stop(ctx)
}

func writeTestCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
