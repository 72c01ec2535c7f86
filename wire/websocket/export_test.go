package websocket

import (
	"context"
	"io"

	"github.com/actr-go/actr/protocol"
)

// WriterHeld reports whether a Send holds c's writer (a frame is being
// written), for tests that need a Send to wait behind another.
func WriterHeld(c *Conn) bool { return c.wslot.IsHeld() }

// FrameBufferHeld reports whether c keeps a buffer for small frames. It
// waits for the writer, as the buffer belongs to whoever holds it.
func FrameBufferHeld(c *Conn) bool {
	c.wslot.Take(context.Background(), nil)
	defer c.wslot.Release()
	c.pend.mu.Lock()
	defer c.pend.mu.Unlock()
	return c.wbuf != nil || c.pend.buf != nil
}

// SetWriteHook makes the connections using o write data frames through
// wrap (which must keep each Write atomic).
func SetWriteHook(o *Options, wrap func(io.Writer) io.Writer) { o.writeHook = wrap }

// EncodeFrames is the frame writer's output for frames written in one
// batch with a buffer of bufCap bytes, one []byte per Write.
func EncodeFrames(client bool, bufCap int, pts []protocol.PayloadType, datas [][]byte) [][]byte {
	var w collectWriter
	fw := frameWriter{w: &w, client: client, buf: make([]byte, 0, bufCap)}
	for i := range pts {
		if err := fw.add(pts[i], datas[i]); err != nil {
			panic(err)
		}
	}
	if err := fw.flush(); err != nil {
		panic(err)
	}
	return w.writes
}

type collectWriter struct{ writes [][]byte }

func (w *collectWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), nil
}

// QueuedSends is the number of Sends queued for c's writer.
func QueuedSends(c *Conn) int { return int(c.queued.Load()) }
