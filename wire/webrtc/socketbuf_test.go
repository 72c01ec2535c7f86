package webrtc

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A capped buffer is logged once per Coordinator, with what was asked
// and what was granted: every socket after the first gets the same cap.
func TestSocketBufferCapLoggedOnce(t *testing.T) {
	var buf bytes.Buffer
	c := Config{UDPSocketBuffer: 4 << 20, Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	warn := c.warnSocketBuffer()
	warn(212992)
	warn(212992)
	out := buf.String()
	if n := strings.Count(out, "\n"); n != 1 {
		t.Fatalf("%d log lines, want 1:\n%s", n, out)
	}
	for _, s := range []string{"level=WARN", "asked=4194304", "granted=212992", "rmem_max"} {
		if !strings.Contains(out, s) {
			t.Fatalf("log line lacks %q: %s", s, out)
		}
	}
}

func TestUDPSocketBufferDefaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		size  int
		wraps bool
	}{
		{"default", Config{LoopbackOnly: true}, DefaultUDPSocketBuffer, true},
		{"set", Config{LoopbackOnly: true, UDPSocketBuffer: 1 << 20}, 1 << 20, true},
		{"os-default", Config{LoopbackOnly: true, UDPSocketBuffer: -1}, -1, false},
		{"shared-sockets", Config{LoopbackOnly: true, UDPMux: true}, DefaultUDPSocketBuffer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := tc.cfg.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			defer st.close()
			if st.UDPSocketBuffer != tc.size || (st.net != nil) != tc.wraps {
				t.Fatalf("UDPSocketBuffer %d, sized network %v; want %d, %v", st.UDPSocketBuffer, st.net != nil, tc.size, tc.wraps)
			}
			if tc.cfg.UDPMux && st.net.sized.Load() == 0 {
				t.Fatal("the shared UDP sockets were opened without the buffer size")
			}
		})
	}
}
