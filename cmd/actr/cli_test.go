package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bad command lines and unreachable services end with one line on stderr
// and a non-zero exit: 2 for usage errors, 1 for failures. Never a stack
// trace.
func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage"},
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"node", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"node", "--type", "nocolon"}, 2, "want manufacturer:name"},
		{[]string{"node", "--log-level", "loud"}, 2, "--log-level"},
		{[]string{"node", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"send", "--to", "not-an-id", "hi"}, 2, "--to"},
		{[]string{"send", "--to", "acme:echo@1.5"}, 2, "nothing to send"},
		{[]string{"send", "--to", "acme:echo@1.5", "--payload-type", "MEDIA_RTP", "x"}, 2, "--payload-type"},
		{[]string{"send", "--to", "acme:echo@1.5", "--ws-url", "ws://h/none", "x"}, 2, "placeholder"},
		{[]string{"signal", "--policy", "secret"}, 2, "realm secret"},
		{[]string{"signal", "--nats-routes", "nats://127.0.0.1:1"}, 2, "needs --nats-cluster-listen"},
		{[]string{"signal", "--nats-cluster-listen", "127.0.0.1:0"}, 2, "needs --nats-listen"},
		{[]string{"signal", "--cluster", "nats://127.0.0.1:1", "--cluster-name", "a b"}, 2, "--cluster-name"},
		{[]string{"node", "--signal", "ws://127.0.0.1:1/,127.0.0.1:2"}, 2, "ws://127.0.0.1:2"},
		{[]string{"signal", "--tls-cert", "c.pem"}, 2, "go together"},
		{[]string{"demo", "--messages", "0"}, 2, "--messages"},
		{[]string{"turn", "--listen", "127.0.0.1:0"}, 2, "a TURN secret is needed"},
		{[]string{"signal", "--turn-listen", "0.0.0.0:0"}, 2, "--turn-public-ip"},
		{[]string{"signal", "--turn-listen", "127.0.0.1:0", "--turn-tls-listen", "127.0.0.1:0"}, 2, "needs a certificate"},
		{[]string{"signal", "--turn-url", "http://x", "--turn-secret-file", "/dev/null"}, 2, "at least 16"},
		{[]string{"node", "--ws-tls-cert", "c.pem"}, 2, "go together"},
		{[]string{"node", "--ws-tls-cert", "c.pem", "--ws-tls-key", "k.pem"}, 2, "needs --ws-listen"},
		{[]string{"node", "--ca-file", "/nonexistent.pem"}, 1, "reading --ca-file"},
		{[]string{"node", "--udp-port", "70000"}, 2, "--udp-port"},
		{[]string{"node", "--webrtc-local-networks", "10.0.0.0/33"}, 2, "--webrtc-local-networks"},
		{[]string{"send", "--webrtc-remote-networks", "nonsense", "--to", "acme:echo@1.5", "x"}, 2, "--webrtc-remote-networks"},
		{[]string{"node", "--udp-buffer", "0"}, 2, "--udp-buffer 0"},
		{[]string{"send", "--udp-buffer", "-2", "--to", "acme:echo@1.5", "x"}, 2, "--udp-buffer -2"},
		{[]string{"node", "--config", "/nonexistent.json"}, 2, "config file"},
		{[]string{"send", "--signal", "ws://127.0.0.1:1/", "--to", "acme:echo@1.5", "--timeout", "5s", "hi"}, 1, "registering with ws://127.0.0.1:1/"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Setenv("ACTR_REALM_SECRET", "")
			t.Setenv("ACTR_TURN_SECRET", "")
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			code := run(ctx, tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, &stderr)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stderr %q does not say %q", &stderr, tc.want)
			}
			if tc.args != nil && strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
				t.Fatalf("stderr has more than one line:\n%s", &stderr)
			}
			if strings.Contains(stderr.String(), "goroutine ") {
				t.Fatalf("a stack trace:\n%s", &stderr)
			}
		})
	}
}

// --help prints each command's flags on stdout and exits 0.
func TestHelp(t *testing.T) {
	for _, c := range commands {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{c.name, "--help"}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s --help: exit %d", c.name, code)
		}
		if !strings.Contains(stdout.String(), "Usage: actr "+c.name) || !strings.Contains(stdout.String(), "-log-level") || stderr.Len() != 0 {
			t.Fatalf("%s --help printed:\n%s\nand on stderr:\n%s", c.name, &stdout, &stderr)
		}
	}
}

// The demo, run as the README says, passes and prints its summary.
func TestDemo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"demo", "--messages", "5"}, &stdout, &stderr); code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	out := stdout.String()
	for _, want := range []string{"\nsummary\n", "webrtc/RPC_RELIABLE", "websocket/RPC_RELIABLE", "WebRTC down", "ready again"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the demo's output lacks %q:\n%s", want, out)
		}
	}
}

// A config file sets the flags the command line does not.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"realm": 3, "type": "acme:worker", "loopback-only": true, "ws-listen": "127.0.0.1:9009"}`)
	f := newFlags("node", "", io.Discard, io.Discard)
	nf := addNodeFlags(f, "acme:echo")
	wsListen := f.String("ws-listen", "", "")
	if err := f.parse([]string{"--config", good, "--realm", "7"}); err != nil {
		t.Fatal(err)
	}
	if nf.realm != 7 || nf.typ != "acme:worker" || !nf.loopbackOnly || *wsListen != "127.0.0.1:9009" {
		t.Fatalf("realm %d type %q loopback %v ws-listen %q; want 7 (command line wins), acme:worker, true, 127.0.0.1:9009",
			nf.realm, nf.typ, nf.loopbackOnly, *wsListen)
	}
	for name, body := range map[string]string{
		"unknown.json": `{"nonsense": 1}`,
		"array.json":   `{"realm": [1]}`,
		"badval.json":  `{"realm": "many"}`,
		"broken.json":  `{"realm": `,
	} {
		f := newFlags("node", "", io.Discard, io.Discard)
		addNodeFlags(f, "acme:echo")
		if err := f.parse([]string{"--config", write(name, body)}); err == nil {
			t.Errorf("%s: %s accepted", name, body)
		}
	}
}

// The TURN credential can come from the environment instead of a flag.
func TestICECredentialFromEnvironment(t *testing.T) {
	t.Setenv("ACTR_ICE_CREDENTIAL", "s3cret")
	f := newFlags("node", "", io.Discard, io.Discard)
	nf := addNodeFlags(f, "acme:echo")
	if err := f.parse([]string{"--ice-servers", "turn:turn.example:3478", "--ice-username", "u"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := nf.config(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.WebRTC.ICEServers) != 1 || cfg.WebRTC.ICEServers[0].Credential != "s3cret" || cfg.WebRTC.ICEServers[0].Username != "u" {
		t.Fatalf("ICE servers %+v", cfg.WebRTC.ICEServers)
	}
}
