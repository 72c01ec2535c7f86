package websocket

import (
	"context"
	"fmt"
	"sync"

	"github.com/coder/websocket"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Write-behind for small frames. A Send of a frame of at most smallFrame
// bytes, on a connection whose frames we write ourselves, copies its frame
// into the connection's pending buffer and returns: the lane has taken it.
// The connection's flusher goroutine, woken by the first frame of a burst,
// writes everything pending in one Write, again and again while Sends add
// more. A message alone goes out as soon as the flusher runs, which is when
// its sender blocks or the other core picks the flusher up: no timer, no
// Nagle. A stream of small messages from one goroutine or many goes in
// writes of up to pendMax bytes, as gRPC's and NATS's writers do (issue 22:
// one write syscall per message was most of the sender's CPU).
//
// The pending buffer is the connection's budget: a Send that finds it full
// waits for room until its ctx ends, and then its frame was not taken. A
// frame that is pending when the connection dies is lost, like the bytes in
// the kernel's socket buffer (counted in Counters.UnsentAtDeath); a clean
// Close writes what is pending before its close frame, and Flush waits for
// it. Large frames are still written by their own Send (coalesce.go), after
// what is pending, so frames leave in the order their Sends took them. The
// flusher holds the write slot while it writes, so the stall watchdog
// watches its writes as any other's.

// pendMax bounds a connection's pending frames, in bytes.
const pendMax = 64 << 10

var pendBufs = sync.Pool{New: func() any { b := make([]byte, 0, pendMax); return &b }}

// pending is a connection's write-behind state, under mu.
type pending struct {
	mu      sync.Mutex
	buf     *[]byte // frames taken, not yet being written; nil when none
	frames  int
	bytes   int // payload bytes in buf
	writing int // frames being written by the flusher
	kicked  bool
	room    chan struct{} // closed when buf is taken; nil unless a Send waits
	drained chan struct{} // closed when nothing is pending or being written; nil unless Flush waits
	lost    int           // frames dropped as the connection died
	kick    chan struct{} // capacity 1: wakes the flusher
}

// sendBehind is Send for a small frame on a connection we write ourselves.
func (l *lane) sendBehind(ctx context.Context, data []byte) error {
	c := l.c
	p := &c.pend
	need := wsHeaderMax + HeaderSize + len(data)
	p.mu.Lock()
	for {
		if !c.ready.Load() || c.closeSent.Load() {
			p.mu.Unlock()
			return c.laneClosed(nil)
		}
		if p.buf == nil || len(*p.buf)+need <= pendMax {
			break
		}
		wait := p.room
		if wait == nil {
			wait = make(chan struct{})
			p.room = wait
		}
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return fmt.Errorf("websocket: waiting for room to write to %s (the peer reads slower than we send): %w", c.remote, ctx.Err())
		case <-c.done:
			return c.laneClosed(nil)
		}
		p.mu.Lock()
	}
	if p.buf == nil {
		p.buf = pendBufs.Get().(*[]byte)
	}
	*p.buf = appendDataFrame(*p.buf, l.pt, data, c.client)
	p.frames++
	p.bytes += len(data)
	kick := !p.kicked
	p.kicked = true
	p.mu.Unlock()
	if kick {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// appendDataFrame appends one actr frame as one WebSocket binary message,
// masked when client.
func appendDataFrame(b []byte, pt protocol.PayloadType, data []byte, client bool) []byte {
	b, key := appendWSHeader(b, true, opBinary, HeaderSize+len(data), client)
	start := len(b)
	b = AppendFrame(b, pt, data)
	if client {
		maskBytes(key, b[start:])
	}
	return b
}

// flushLoop is the connection's flusher; it ends when the connection does.
func (c *Conn) flushLoop(ws *websocket.Conn) {
	defer c.wg.Done()
	defer c.dropPending()
	for {
		select {
		case <-c.pend.kick:
		case <-c.ctx.Done():
			return
		}
		for {
			if ok, _ := c.wslot.Take(c.ctx, nil); !ok {
				return
			}
			n, err := c.writePending()
			c.releaseWriter()
			if err != nil {
				c.die(fmt.Errorf("%w: write to %s failed: %w", transport.ErrWireClosed, c.remote, err))
				_ = ws.CloseNow()
				return
			}
			if n == 0 {
				break
			}
		}
	}
}

// writePending writes the pending frames in one Write and returns how
// many there were; the caller holds the write slot.
func (c *Conn) writePending() (int, error) {
	p := &c.pend
	p.mu.Lock()
	buf, frames, bytes := p.buf, p.frames, p.bytes
	p.buf, p.frames, p.bytes, p.kicked = nil, 0, 0, false
	p.writing = frames
	if p.room != nil {
		close(p.room)
		p.room = nil
	}
	if frames == 0 && p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
	p.mu.Unlock()
	if buf == nil {
		return 0, nil
	}
	_, err := c.rw.Write(*buf)
	c.wrote()
	c.progressed()
	*buf = (*buf)[:0]
	pendBufs.Put(buf)
	p.mu.Lock()
	p.writing = 0
	if p.buf == nil && p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
	p.mu.Unlock()
	if err != nil {
		c.opts.Counters.UnsentAtDeath.Add(uint64(frames))
		return frames, err
	}
	c.opts.Counters.FramesOut.Add(uint64(frames))
	c.opts.Counters.BytesOut.Add(uint64(bytes))
	return frames, nil
}

// dropPending counts and frees what is pending when the connection has
// died.
func (c *Conn) dropPending() {
	p := &c.pend
	p.mu.Lock()
	buf, frames := p.buf, p.frames
	p.buf, p.frames, p.bytes = nil, 0, 0
	p.lost += frames
	if p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
	p.mu.Unlock()
	if buf != nil {
		c.opts.Counters.UnsentAtDeath.Add(uint64(frames))
		*buf = (*buf)[:0]
		pendBufs.Put(buf)
	}
}

// Flush implements transport.Flusher: it returns once every frame Sends
// have taken is written to the socket, or an error matching
// transport.ErrUnflushed when ctx ends or the connection dies first.
func (c *Conn) Flush(ctx context.Context) error {
	p := &c.pend
	for {
		p.mu.Lock()
		n, lost := p.frames+p.writing, p.lost
		if n == 0 {
			p.mu.Unlock()
			if lost > 0 {
				// Only a dead connection loses frames.
				return &transport.UnflushedError{Kind: transport.WireWebSocket, Err: c.Err()}
			}
			return nil
		}
		wait := p.drained
		if wait == nil {
			wait = make(chan struct{})
			p.drained = wait
		}
		bytes := p.bytes
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return &transport.UnflushedError{Kind: transport.WireWebSocket, Bytes: bytes, Err: ctx.Err()}
		case <-c.done:
			<-wait // the flusher drops what is left as it ends; lost then says
		}
	}
}
