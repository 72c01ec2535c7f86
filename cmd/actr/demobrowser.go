package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// runBrowserDemo serves web/demo/chat.html, where a person chats with a Go
// node and sees which wire carried each message: a signaling server and
// the node run in this process, the page's origin admitted by both.
func runBrowserDemo(ctx context.Context, listen, webDir string, stdout io.Writer, log *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(webDir, "node_modules", "@bufbuild", "protobuf")); err != nil {
		return usageError("--web-dir %s has no node_modules/@bufbuild/protobuf: run `npm ci` in web/ first", webDir)
	}
	pl, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	defer pl.Close()
	origin := pl.Addr().String()
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		return err
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true},
		AllowedOrigins: []string{origin}, Logger: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	sln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		return err
	}
	defer sln.Close()
	var reply replier
	n, err := node.Start(ctx, node.Config{SignalingURL: sln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "demo", Name: "chat-node"},
		WSListen: "127.0.0.1:0", GateAllowedOrigins: []string{origin}, WebRTC: webrtc.Config{LoopbackOnly: true},
		Handler: &reply, Logger: log, TrustedKeys: map[uint32]ed25519.PublicKey{iss.KeyID(): iss.PublicKey()}})
	if err != nil {
		return err
	}
	defer func() { _ = closeNode(n) }()
	reply.set(n)
	mux := http.NewServeMux()
	mux.HandleFunc("/config.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"signal": sln.URL(), "node": n.ID().String(), "gate": n.GateURL()})
	})
	mux.Handle("/", http.FileServer(http.Dir(webDir)))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = hs.Serve(pl)
	}()
	fmt.Fprintf(stdout, "chat page: http://%s/demo/chat.html (node %s; Ctrl-C stops)\n", origin, n.ID())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	wg.Wait()
	return nil
}

// replier answers each message with "node got: " and the text, on the
// wire and payload type it came on.
type replier struct {
	mu sync.Mutex
	n  *node.Node
}

func (r *replier) set(n *node.Node) {
	r.mu.Lock()
	r.n = n
	r.mu.Unlock()
}

func (r *replier) ServeMessage(ctx context.Context, m transport.Message) {
	r.mu.Lock()
	n := r.n
	r.mu.Unlock()
	if n == nil || len(m.Data) > 4096 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	msg := fmt.Sprintf("node got %q over %s", m.Data, m.Wire)
	_ = n.Send(ctx, m.From, m.Type, []byte(msg))
}
