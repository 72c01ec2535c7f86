package websocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"time"

	"github.com/coder/websocket"
)

// A connection read by our own frame reader (framereader.go) also answers
// its control frames and does its close handshake and keepalive here,
// writing control frames straight to the socket as framewriter.go writes
// data frames: each in one Write, which nothing can split.

// message returns the next data message, from our reader or the library's.
func (c *Conn) message(ws *websocket.Conn) (websocket.MessageType, io.Reader, error) {
	if c.fr == nil {
		return ws.Reader(context.Background())
	}
	typ, err := c.fr.next()
	return typ, c.fr, err
}

// connControl answers the control frames c's reader meets.
type connControl struct{ c *Conn }

func (cc connControl) ping(p []byte) error {
	if cc.c.closeSent.Load() {
		return nil // nothing after our close frame
	}
	// Written by the reader, as the library did: a pong that cannot be
	// written because the peer reads nothing holds the reader until the
	// keepalive or the stall watchdog cuts the connection.
	return cc.c.writeControl(opPong, p)
}

func (cc connControl) pong(p []byte) {
	c := cc.c
	c.mu.Lock()
	if c.pongWait != nil && bytes.Equal(p, c.pongWant[:]) {
		close(c.pongWait)
		c.pongWait = nil
	}
	c.mu.Unlock()
}

func (cc connControl) close(p []byte) error {
	c := cc.c
	code, reason, err := parseClose(p)
	if err != nil {
		return err
	}
	if !c.closeSent.Swap(true) {
		// Echo the code (RFC 6455 §5.5.1); the reader ends after.
		var echo []byte
		if code != websocket.StatusNoStatusRcvd {
			echo = binary.BigEndian.AppendUint16(nil, uint16(code))
		}
		cut := time.AfterFunc(closeWriterWait, func() { _ = c.ws.Load().CloseNow() })
		_ = c.writeControl(opClose, echo)
		cut.Stop()
	}
	return websocket.CloseError{Code: code, Reason: reason}
}

// writeControl writes one control frame in one Write.
func (c *Conn) writeControl(op byte, payload []byte) error {
	var b [wsHeaderMax + maxControl]byte
	f, key := appendWSHeader(b[:0], true, op, len(payload), c.client)
	start := len(f)
	f = append(f, payload...)
	if c.client {
		maskBytes(key, f[start:])
	}
	_, err := c.rw.Write(f)
	return err
}

// closeFrame is the payload of a close frame: the code, and the reason
// cut to fit.
func closeFrame(code websocket.StatusCode, reason string) []byte {
	if len(reason) > maxControl-2 {
		reason = reason[:maxControl-2]
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// rawPing is the keepalive's ping on our own reader: it waits for the pong
// with the same payload until ctx ends. A ping that cannot even be written
// by then cuts the connection, as the peer takes nothing.
func (c *Conn) rawPing(ctx context.Context, ws *websocket.Conn) error {
	c.mu.Lock()
	c.pingSeq++
	binary.BigEndian.PutUint64(c.pongWant[:], c.pingSeq)
	want := c.pongWant
	wait := make(chan struct{})
	c.pongWait = wait
	c.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		if c.ctx.Err() == nil {
			// The ping's own deadline, not the connection's end: the
			// keepalive gives the peer up, and says so before the cut
			// makes the reader (stuck writing a pong) fail too.
			c.unresponsive(ws)
			return
		}
		_ = ws.CloseNow()
	})
	err := c.writeControl(opPing, want[:])
	stopped := stop()
	if err != nil {
		return err
	}
	if !stopped {
		return ctx.Err()
	}
	select {
	case <-wait:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendClose writes our close frame once, from a goroutine that does not
// hold the write slot: it waits for the batch being written (no data frame
// may follow the close frame), up to closeWriterWait, else cuts the
// connection.
func (c *Conn) sendClose(ws *websocket.Conn, code websocket.StatusCode, reason string) {
	if c.closeSent.Swap(true) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeWriterWait)
	defer cancel()
	if ok, _ := c.wslot.Take(ctx, nil); !ok {
		_ = ws.CloseNow()
		return
	}
	stop := context.AfterFunc(ctx, func() { _ = ws.CloseNow() })
	_ = c.writeControl(opClose, closeFrame(code, reason))
	stop()
	c.releaseWriter()
}

// refuseProtocol closes, with the code it calls for, a connection whose
// peer broke the WebSocket protocol: our reader's error pe. It runs in the
// reader, before the connection dies, so that the close frame says why.
func (c *Conn) refuseProtocol(pe *protocolError) {
	if pe.code == websocket.StatusProtocolError {
		c.opts.Counters.ProtocolErrors.Add(1)
	}
	c.log.Warn("closing: the peer broke the WebSocket protocol", "err", pe)
	c.sendClose(c.ws.Load(), pe.code, pe.reason)
}

// finishRead ends our reader: after our close frame, what the peer still sends is
// read and dropped until its own close frame (or the wait runs out); then
// the socket is closed and the read buffer given back.
func (c *Conn) finishRead(ws *websocket.Conn) {
	if c.fr == nil {
		return
	}
	defer c.fr.release()
	if c.closeSent.Load() && !c.fr.closed {
		cut := time.AfterFunc(c.drainWait(), func() { _ = ws.CloseNow() })
		for !c.fr.closed {
			if _, err := c.fr.next(); err != nil {
				break
			}
		}
		cut.Stop()
	}
	_ = ws.CloseNow()
}

// drainWait bounds how long a closing connection waits for the peer's
// close frame: the library's 5 s, or refuseGrace for a connection refused
// for the budget, whose frame's rest may never come.
func (c *Conn) drainWait() time.Duration {
	if c.refused.Load() {
		return refuseGrace
	}
	return closeWriterWait
}
