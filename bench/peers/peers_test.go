package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as a peer's server process.
func TestMain(m *testing.M) {
	if name := os.Getenv(envServer); name != "" {
		if err := serveChild(name); err != nil {
			fmt.Fprintln(os.Stderr, "peers:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestQuick runs the quick mode once, every peer: the harness works and
// every figure comes out. No timing is asserted.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six server processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	if err := run(ctx, []string{"-quick"}, &out, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	s := out.String()
	if strings.Contains(s, "n/a") || strings.Contains(s, "Failures") {
		t.Errorf("a figure is missing:\n%s\n%s", s, log.String())
	}
	for _, r := range rows {
		if !strings.Contains(s, "| "+r.label+" |") {
			t.Errorf("no row %q:\n%s", r.label, s)
		}
	}
	t.Logf("\n%s", s)
}
