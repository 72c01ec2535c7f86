package main

import (
	"strings"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"Name:\tactr\nVmPeak:\t  9 kB\nVmRSS:\t   12345 kB\nThreads:\t7\n", 12345 << 10},
		{"Name:\tactr\n", -1},
		{"VmRSS:\tlots kB\n", -1},
		{"VmRSS:\t12 MB\n", -1},
	} {
		if got := parseVmRSS(c.in); got != c.want {
			t.Errorf("parseVmRSS(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
go_goroutines_other 7
go_memstats_heap_inuse_bytes 1.2345e+06 1700000000000
actr_wires{kind="webrtc",state="ready"} 1
`
	m, err := parseMetrics(strings.NewReader(text), "go_goroutines", "go_memstats_heap_inuse_bytes", "actr_wires")
	if err != nil {
		t.Fatal(err)
	}
	if m["go_goroutines"] != 42 || m["go_memstats_heap_inuse_bytes"] != 1234500 {
		t.Fatalf("got %v", m)
	}
	if _, ok := m["actr_wires"]; ok {
		t.Fatalf("a labelled sample was taken for an unlabelled one: %v", m)
	}
}
