package webrtc

import (
	"syscall"
)

// setSocketBuffers asks for size-byte receive and send buffers on c, a
// *net.UDPConn (others are left alone), forcing them past the kernel's
// caps (net.core.rmem_max, wmem_max) when the process may. It returns the
// receive buffer the kernel granted, as a size comparable to the request,
// and whether c could be sized at all.
func setSocketBuffers(c any, size int) (got int, ok bool) {
	sc, isSys := c.(syscall.Conn)
	if !isSys {
		return 0, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	ctlErr := raw.Control(func(fd uintptr) {
		s := int(fd)
		for _, opt := range [][2]int{{syscall.SO_RCVBUF, syscall.SO_RCVBUFFORCE}, {syscall.SO_SNDBUF, syscall.SO_SNDBUFFORCE}} {
			_ = syscall.SetsockoptInt(s, syscall.SOL_SOCKET, opt[0], size)
			// Linux reports twice what was set (the other half is its
			// bookkeeping); below the request means the cap applied.
			if v, err := syscall.GetsockoptInt(s, syscall.SOL_SOCKET, opt[0]); err == nil && v/2 < size {
				_ = syscall.SetsockoptInt(s, syscall.SOL_SOCKET, opt[1], size) // needs CAP_NET_ADMIN
			}
		}
		v, err := syscall.GetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		if err == nil {
			got, ok = v/2, true
		}
	})
	if ctlErr != nil {
		return 0, false
	}
	return got, ok
}
