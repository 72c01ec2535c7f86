package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Payloads start with a tag: tagEcho asks the server to send the message
// back, tagSink to count it.
const (
	tagEcho = 'e'
	tagSink = 's'
)

// counter counts the one-way messages a server received.
type counter struct {
	n      atomic.Int64
	target atomic.Int64
	hit    chan struct{} // signalled when n reaches target
}

func newCounter() *counter { return &counter{hit: make(chan struct{}, 1)} }

func (c *counter) inc() {
	if c.n.Add(1) == c.target.Load() {
		select {
		case c.hit <- struct{}{}:
		default:
		}
	}
}

// wait returns once n has reached want, or after timeout, with n.
func (c *counter) wait(want int64, timeout time.Duration) int64 {
	select { // a signal left over from an earlier target
	case <-c.hit:
	default:
	}
	c.target.Store(want)
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		if n := c.n.Load(); n >= want {
			return n
		}
		select {
		case <-c.hit:
		case <-t.C:
			return c.n.Load()
		case <-time.After(10 * time.Millisecond): // in case inc raced with the Store
		}
	}
}

// serverFunc starts a peer's server and returns the fields of its ready
// line (where clients find it) and how to stop it.
type serverFunc func(ctx context.Context, c *counter) (info []string, stop func(), err error)

var servers = map[string]serverFunc{
	"actr-ws":     func(ctx context.Context, c *counter) ([]string, func(), error) { return serveActr(ctx, c, false) },
	"actr-webrtc": func(ctx context.Context, c *counter) ([]string, func(), error) { return serveActr(ctx, c, true) },
	"actr-rpc":    serveActrRPC,
	"grpc-unary":  serveGRPC,
	"grpc":        serveGRPC,
	"nats":        serveNATS,
	"ws":          serveWS,
	"tcp":         serveTCP,
}

// serveChild is a child process's main: it runs the server of peer name,
// answering the parent's commands on stdin until stdin closes.
//
//	reset      → ok               (the one-way count back to 0)
//	wait N     → count C          (once C ≥ N messages were counted, or after 60 s)
//	mem        → mem BYTES GOROUTINES (heap in use + stacks, after a GC)
func serveChild(name string) error {
	start, ok := servers[name]
	if !ok {
		return fmt.Errorf("no peer %q", name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newCounter()
	info, stop, err := start(ctx, c)
	if err != nil {
		return fmt.Errorf("%s server: %w", name, err)
	}
	defer stop()
	out := bufio.NewWriter(os.Stdout)
	reply := func(format string, a ...any) error {
		fmt.Fprintf(out, format+"\n", a...)
		return out.Flush()
	}
	if err := reply("ready %s", strings.Join(info, " ")); err != nil {
		return err
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch f[0] {
		case "reset":
			c.n.Store(0)
			err = reply("ok")
		case "wait":
			want, perr := strconv.ParseInt(f[len(f)-1], 10, 64)
			if perr != nil {
				err = reply("error %v", perr)
				break
			}
			err = reply("count %d", c.wait(want, 60*time.Second))
		case "mem":
			runtime.GC()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			err = reply("mem %d %d", ms.HeapAlloc+ms.StackInuse, runtime.NumGoroutine())
		default:
			err = reply("error unknown command %q", f[0])
		}
		if err != nil {
			return err
		}
	}
	return nil // stdin closed: the parent is done
}
