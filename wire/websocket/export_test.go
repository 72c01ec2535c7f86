package websocket

// WriterHeld reports whether a Send holds c's writer (a frame is being
// written), for tests that need a Send to wait behind another.
func WriterHeld(c *Conn) bool { return c.wslot.IsHeld() }
