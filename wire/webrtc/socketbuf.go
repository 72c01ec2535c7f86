package webrtc

import (
	"net"
	"sync/atomic"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// DefaultUDPSocketBuffer is the default Config.UDPSocketBuffer: the kernel
// receive and send buffer asked for on every UDP socket.
//
// With the operating system's default (212,992 bytes on Linux), a receiver
// that is scheduled late overflows its socket while SCTP has up to its
// 1 MiB window in flight. pion's SCTP recovers from the loss of a
// retransmitted chunk only by tail-loss probes, one chunk per probe, or by
// its retransmission timer (at least 1 s): a burst that loses a run of
// retransmissions stalls for hundreds of milliseconds (docs/PROFILES.md).
// A buffer that holds the whole window keeps those losses from happening.
// The kernel caps the request at net.core.rmem_max and wmem_max unless the
// process may force it (CAP_NET_ADMIN); see bufferedNet.
const DefaultUDPSocketBuffer = 4 << 20

// bufferedNet is the operating system's network (pion's stdnet) with
// kernel buffers of size bytes on every UDP socket. pion's ICE agent opens
// its host-candidate sockets through ListenUDP and its server-reflexive
// ones through ListenPacket.
type bufferedNet struct {
	*stdnet.Net
	size   int
	warned func(got int) // called with what the kernel granted, when less than size
	sized  atomic.Int64  // sockets given a buffer (tests read it)
}

func newBufferedNet(size int, warned func(got int)) (*bufferedNet, error) {
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &bufferedNet{Net: std, size: size, warned: warned}, nil
}

// Interfaces lists the interfaces afresh on every call, as pion does for
// each PeerConnection when it is given no Net: one Coordinator serves
// PeerConnections across address changes.
func (n *bufferedNet) Interfaces() ([]*transport.Interface, error) {
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return std.Interfaces()
}

// InterfaceByIndex implements transport.Net, afresh like Interfaces.
func (n *bufferedNet) InterfaceByIndex(index int) (*transport.Interface, error) {
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return std.InterfaceByIndex(index)
}

// InterfaceByName implements transport.Net, afresh like Interfaces.
func (n *bufferedNet) InterfaceByName(name string) (*transport.Interface, error) {
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return std.InterfaceByName(name)
}

// ListenUDP implements transport.Net.
func (n *bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	n.grow(c)
	return c, nil
}

// ListenPacket implements transport.Net.
func (n *bufferedNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	n.grow(c)
	return c, nil
}

// grow sizes c's buffers. A socket that cannot be sized (not UDP, or
// refused) keeps the kernel's default: that costs throughput under load,
// not correctness, so it is reported, never an error.
func (n *bufferedNet) grow(c any) {
	got, ok := setSocketBuffers(c, n.size)
	if !ok {
		return
	}
	n.sized.Add(1)
	if got < n.size && n.warned != nil {
		n.warned(got)
	}
}
