package websocket

import "net"

var errNetClosed = net.ErrClosed
