package websocket

import (
	"fmt"
	"time"

	"github.com/coder/websocket"

	"github.com/actr-go/actr/transport"
)

// The stall watchdog: a peer that stops reading while we write to it
// holds the writer, and with it every Send to that peer, with no end but
// the keepalive (which waits behind the stuck frame too). A Send whose ctx
// ends aborts the write (stallGuard); the watchdog covers the rest, Sends
// with no deadline or a long one. It checks the writer stallChecks times
// per StallTimeout, off the send path: it marks a busy writer, the writer
// clears the mark when a frame or a chunk of one is on the socket, and a
// mark that survives stallChecks checks in a row, the writer busy at each,
// fails the connection. A connection is so failed between StallTimeout and
// StallTimeout + StallTimeout/stallChecks after its peer took its last byte.

// stallChecks is how many times the watchdog looks per StallTimeout.
const stallChecks = 4

// scheduleStallCheckLocked arms the next check; c.mu is held.
func (c *Conn) scheduleStallCheckLocked(ws *websocket.Conn) {
	if c.opts.StallTimeout <= 0 || c.closed || c.dead {
		return
	}
	period := c.opts.StallTimeout / stallChecks
	if c.stallTimer == nil {
		c.stallTimer = time.AfterFunc(period, func() { c.checkStall(ws) })
		return
	}
	c.stallTimer.Reset(period)
}

// checkStall runs on the timer's goroutine, counted in c.wg like ping.
func (c *Conn) checkStall(ws *websocket.Conn) {
	if !c.enterTimer() {
		return
	}
	defer c.wg.Done()
	busy := c.wslot.IsHeld()
	switch {
	case busy && c.wst.Load()&wstMark != 0:
		c.stallTicks++
	case busy:
		c.stallTicks = 0
		c.wst.Or(wstMark)
	default:
		c.stallTicks = 0
	}
	if c.stallTicks >= stallChecks {
		c.failStalled(ws)
		return
	}
	c.mu.Lock()
	c.scheduleStallCheckLocked(ws)
	c.mu.Unlock()
}

// failStalled fails a connection whose peer took nothing of the frame
// being written for StallTimeout. Closing the socket makes the stuck
// write, and so the Send holding the writer, return.
func (c *Conn) failStalled(ws *websocket.Conn) {
	c.opts.Counters.Stalls.Add(1)
	c.log.Warn("peer stopped reading: nothing written for the stall timeout; closing", "stall_timeout", c.opts.StallTimeout)
	c.die(fmt.Errorf("%w: %w: %s took no byte of a frame for %s (Options.StallTimeout)",
		transport.ErrWireClosed, transport.ErrStalled, c.remote, c.opts.StallTimeout))
	_ = ws.CloseNow()
}
