package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// actr join-token prints a token for the realm's line of a secrets file;
// a realm the file has no line for is a usage error.
func TestJoinTokenCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	f := filepath.Join(t.TempDir(), "secrets")
	if err := os.WriteFile(f, []byte("1=one\n2=two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOnce(t, ctx, "join-token", "--secret-file", f, "--realm", "2", "--ttl", "1m")
	if code != 0 || !strings.HasPrefix(out, "ajt1.") || strings.Count(out, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, errOut, code := runOnce(t, ctx, "join-token", "--secret-file", f, "--realm", "3"); code != 2 || !strings.Contains(errOut, "realm 3") {
		t.Fatalf("realm without a line: exit %d, stderr %q", code, errOut)
	}
}

func TestAllowOriginFlag(t *testing.T) {
	var o originPatterns
	if err := o.Set("127.0.0.1:*, https://app.example"); err != nil {
		t.Fatal(err)
	}
	if err := o.Set("other.example"); err != nil {
		t.Fatal(err)
	}
	if len(o) != 3 || o[1] != "https://app.example" {
		t.Fatalf("patterns %q", o)
	}
	if o.Set("[bad") == nil {
		t.Fatal("a malformed pattern was taken")
	}
}
