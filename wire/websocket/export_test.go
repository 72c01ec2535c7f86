package websocket

import "context"

// WriterHeld reports whether a Send holds c's writer (a frame is being
// written), for tests that need a Send to wait behind another.
func WriterHeld(c *Conn) bool { return c.wslot.IsHeld() }

// FrameBufferHeld reports whether c keeps a buffer for small frames. It
// waits for the writer, as the buffer belongs to whoever holds it.
func FrameBufferHeld(c *Conn) bool {
	c.wslot.Take(context.Background(), nil)
	defer c.wslot.Release()
	return c.wbuf != nil
}
