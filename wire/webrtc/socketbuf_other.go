//go:build !linux

package webrtc

// setSocketBuffers asks for size-byte receive and send buffers on c when
// it is a UDP socket. It cannot read back what the kernel granted, so it
// reports the request as granted.
func setSocketBuffers(c any, size int) (got int, ok bool) {
	type buffered interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}
	b, isBuf := c.(buffered)
	if !isBuf {
		return 0, false
	}
	if b.SetReadBuffer(size) != nil {
		return 0, false
	}
	_ = b.SetWriteBuffer(size)
	return size, true
}
