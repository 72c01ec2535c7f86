package node_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// testCA is a certificate authority made for one test, and a server
// certificate it signed for 127.0.0.1.
type testCA struct {
	pool   *x509.CertPool
	server tls.Certificate
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "actr test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &testCA{pool: pool, server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
}

func (ca *testCA) serverTLS() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
}

func (ca *testCA) clientTLS() *tls.Config {
	return &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
}

// Signaling over wss:// and a gate over wss://, with a private CA: the
// nodes register, fetch the keys, reach each other over both wires. A
// node that does not trust the CA is refused with the certificate error.
func TestNodesOverTLS(t *testing.T) {
	ctx := guard(t)
	ca := newTestCA(t)
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() }) // after the nodes' Close: cleanups run last-in first-out
	ln, err := srv.Listen("127.0.0.1:0", ca.serverTLS())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	if !strings.HasPrefix(ln.URL(), "wss://") {
		t.Fatalf("signaling URL %s, want wss://", ln.URL())
	}

	var server *node.Node
	server = start(t, ctx, node.Config{SignalingURL: ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"},
		ClientTLS: ca.clientTLS(), WSListen: "127.0.0.1:0", GateTLS: ca.serverTLS(),
		WebRTC: webrtc.Config{LoopbackOnly: true}, Handler: echo(&server)})
	if !strings.HasPrefix(server.GateURL(), "wss://") {
		t.Fatalf("gate URL %s, want wss://", server.GateURL())
	}
	got := make(chan transport.Message, 4)
	client := start(t, ctx, node.Config{SignalingURL: ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "client"},
		ClientTLS: ca.clientTLS(), WSURLTemplate: server.GateURLTemplate(), DisableWebRTC: true,
		Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { got <- m })})
	if err := client.Send(ctx, server.ID(), protocol.RPCReliable, []byte("over wss")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Data) != "over wss" || m.Wire != transport.WireWebSocket {
			t.Fatalf("echo %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("no echo over wss")
	}

	_, err = node.Start(ctx, node.Config{SignalingURL: ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "stranger"},
		WebRTC: webrtc.Config{LoopbackOnly: true}})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a node that does not trust the CA: %v, want a certificate error", err)
	}
}
