package turnserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
)

// Addrs are where Listen serves: STUN and TURN over UDP and TCP on
// Listen (the same port, 3478 by convention), and over TLS on TLSListen
// (5349 by convention) when TLS is set.
type Addrs struct {
	Listen    string
	TLSListen string
	TLS       *tls.Config
	// NoUDP or NoTCP leaves that transport out of Listen.
	NoUDP, NoTCP bool
}

// Listen opens the sockets of a and starts a Server on them; on error
// nothing stays open.
func Listen(cfg Config, a Addrs) (_ *Server, err error) {
	var (
		pcs []net.PacketConn
		lns []net.Listener
	)
	defer func() {
		if err != nil {
			for _, pc := range pcs {
				_ = pc.Close()
			}
			for _, l := range lns {
				_ = l.Close()
			}
		}
	}()
	if a.Listen != "" && !a.NoUDP {
		pc, err := net.ListenPacket("udp", a.Listen)
		if err != nil {
			return nil, fmt.Errorf("turnserver: listening on UDP %s: %w", a.Listen, err)
		}
		pcs = append(pcs, pc)
	}
	if a.Listen != "" && !a.NoTCP {
		l, err := net.Listen("tcp", a.Listen)
		if err != nil {
			return nil, fmt.Errorf("turnserver: listening on TCP %s: %w", a.Listen, err)
		}
		lns = append(lns, l)
	}
	if a.TLSListen != "" {
		if a.TLS == nil {
			return nil, errors.New("turnserver: a TLS address needs a certificate (--tls-cert, --tls-key)")
		}
		l, err := tls.Listen("tcp", a.TLSListen, a.TLS)
		if err != nil {
			return nil, fmt.Errorf("turnserver: listening on TLS %s: %w", a.TLSListen, err)
		}
		lns = append(lns, l)
	}
	return Start(cfg, pcs, lns)
}

// UDPAddr is the address of the server's first UDP socket, TCPAddr of its
// first listener (TLS or not): nil if none.
func (s *Server) UDPAddr() net.Addr {
	if len(s.pcs) == 0 {
		return nil
	}
	return s.pcs[0].LocalAddr()
}

func (s *Server) TCPAddr() net.Addr {
	if len(s.lns) == 0 {
		return nil
	}
	return s.lns[0].Addr()
}

// ListenerAddrs returns the addresses of every listener, in order.
func (s *Server) ListenerAddrs() []net.Addr {
	out := make([]net.Addr, len(s.lns))
	for i, l := range s.lns {
		out[i] = l.Addr()
	}
	return out
}
