package websocket

import (
	"net"
	"time"
)

var errNetClosed = net.ErrClosed

func newTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }
