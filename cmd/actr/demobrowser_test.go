package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// actr demo --browser serves the chat page and tells it where the
// signaling server, the node and its gate are; the page's origin is one
// both admit (the browser test itself is web/'s, scripts/browser-test.sh).
func TestDemoBrowserServesThePage(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	for _, d := range []string{"node_modules/@bufbuild/protobuf", "demo"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "demo", "chat.html"), []byte("<title>chat</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "demo", "demo", "--browser", "--listen", "127.0.0.1:0", "--web-dir", dir)
	page := strings.Fields(strings.TrimPrefix(p.line(ctx, "chat page: "), "chat page: "))[0]
	base := strings.TrimSuffix(page, "/demo/chat.html")
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the page: %s", resp.Status)
	}
	resp, err = http.Get(base + "/config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cfg["signal"], "ws://127.0.0.1:") || !strings.Contains(cfg["node"], "demo:chat-node") || !strings.Contains(cfg["gate"], cfg["node"]) {
		t.Fatalf("config %v", cfg)
	}
	p.stop(ctx)
}
