package websocket

import "context"

// WriterHeld reports whether a Send holds c's writer (a frame is being
// written), for tests that need a Send to wait behind another.
func WriterHeld(c *Conn) bool { return c.wslot.isHeld() }

// FrameBufferHeld reports whether c keeps a buffer for small frames. It
// waits for the writer, as the buffer belongs to whoever holds it.
func FrameBufferHeld(c *Conn) bool {
	c.wslot.take(context.Background(), nil)
	defer c.wslot.release()
	return c.wbuf != nil
}
