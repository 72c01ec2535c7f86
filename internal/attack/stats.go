package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// procStats is what the attacker samples of a target process: from
// /proc (RSS, open fds) and from its /metrics (goroutines, live heap).
// A figure that could not be read is -1.
type procStats struct {
	RSS        int64 // bytes
	Heap       int64 // go_memstats_heap_inuse_bytes
	FDs        int
	Goroutines int
}

// sampleProc reads pid's figures; metricsURL is its /metrics.
func sampleProc(ctx context.Context, pid int, metricsURL string) procStats {
	s := procStats{RSS: -1, Heap: -1, FDs: -1, Goroutines: -1}
	if pid > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			s.RSS = parseVmRSS(string(b))
		}
		if es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
			s.FDs = len(es)
		}
	}
	if metricsURL != "" {
		m, err := fetchMetrics(ctx, metricsURL, "go_goroutines", "go_memstats_heap_inuse_bytes")
		if err == nil {
			if v, ok := m["go_goroutines"]; ok {
				s.Goroutines = int(v)
			}
			if v, ok := m["go_memstats_heap_inuse_bytes"]; ok {
				s.Heap = int64(v)
			}
		}
	}
	return s
}

// parseVmRSS returns the VmRSS line of a /proc/PID/status text, in bytes,
// or -1.
func parseVmRSS(status string) int64 {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return -1
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return -1
		}
		return kb << 10
	}
	return -1
}

var metricsClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func fetchMetrics(ctx context.Context, url string, names ...string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(io.LimitReader(resp.Body, 16<<20), names...)
}

// parseMetrics returns the values of the unlabelled samples called names
// in a Prometheus text exposition.
func parseMetrics(r io.Reader, names ...string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok || !want[name] {
			continue
		}
		if i := strings.IndexByte(val, ' '); i >= 0 {
			val = val[:i] // a timestamp follows
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		out[name] = v
	}
	return out, sc.Err()
}

// settled reports whether after is back near before: what an attack left
// behind is gone.
func settled(before, after procStats) bool {
	return after.FDs <= before.FDs+4 && after.Goroutines <= before.Goroutines+max(10, before.Goroutines/20)
}
