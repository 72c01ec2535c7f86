package webrtc

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// sockBuf reads c's SO_RCVBUF or SO_SNDBUF back from the kernel, halved
// as Linux reports twice what was set.
func sockBuf(t *testing.T, c any, opt int) int {
	t.Helper()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, opt) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v / 2
}

// Both ways pion's ICE agent opens sockets get the buffer asked for, or
// the kernel's cap is reported with what it granted: asked for twice the
// default (so that a socket left alone cannot pass), and for twice
// rmem_max (granted only with CAP_NET_ADMIN; otherwise capped and
// reported).
func TestBufferedNetSizesSockets(t *testing.T) {
	plain, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	rmemMax := procInt(t, "/proc/sys/net/core/rmem_max")
	t.Run("above-default", func(t *testing.T) {
		testBufferedNet(t, plain, max(1<<20, 2*sockBuf(t, plain, syscall.SO_RCVBUF)), rmemMax)
	})
	t.Run("above-rmem_max", func(t *testing.T) { testBufferedNet(t, plain, 2*rmemMax, rmemMax) })
}

func testBufferedNet(t *testing.T, plain *net.UDPConn, want, rmemMax int) {
	var capped []int
	bn, err := newBufferedNet(want, func(got int) { capped = append(capped, got) })
	if err != nil {
		t.Fatal(err)
	}
	udp, err := bn.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	pc, err := bn.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	// Without CAP_NET_ADMIN the kernel grants up to rmem_max.
	least := min(want, rmemMax)
	for i, c := range []any{udp, pc} {
		got := sockBuf(t, c, syscall.SO_RCVBUF)
		switch {
		case got < least:
			t.Fatalf("socket %d: receive buffer %d bytes, asked for %d, and the kernel allows %d", i, got, want, least)
		case got >= want:
		case len(capped) > i && capped[i] == got:
			t.Logf("the kernel capped the receive buffer at %d bytes (asked %d), and it was reported", got, want)
		default:
			t.Fatalf("socket %d: receive buffer capped at %d bytes (asked %d), not reported (reports: %v)", i, got, want, capped)
		}
		if got < want {
			continue
		}
		// The send buffer has its own cap (wmem_max); it is asked for the
		// same size and must at least have grown.
		if snd, def := sockBuf(t, c, syscall.SO_SNDBUF), sockBuf(t, plain, syscall.SO_SNDBUF); snd <= def {
			t.Fatalf("socket %d: send buffer %d bytes, no more than a plain socket's %d", i, snd, def)
		}
	}
	if n := bn.sized.Load(); n != 2 {
		t.Fatalf("%d sockets sized, want 2", n)
	}
}

func procInt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
