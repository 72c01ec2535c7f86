package websocket

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Write coalescing. A Send that finds the writer free writes its frame at
// once, alone: no timer, no waiting for company. A Send that finds it busy
// queues a request (its frame is not copied: the Send waits, holding its
// data, as before) and sleeps. When the writer is done it hands the write
// slot to the oldest queued request, whose Send wakes as the next writer:
// it takes the queued requests, oldest first, up to writeBufSize bytes,
// writes them together (one Write for many frames), wakes their Sends with
// the outcome, and hands the slot on. Frames leave in the order they were
// queued. The queue is of blocked Sends: it holds no bytes of its own, and
// a batch buffer is pooled and at most writeBufSize long.
//
// The Send whose request is being written cannot watch its own ctx, so the
// stall guard watches it as before; every other Send of the batch watches
// its own: if its ctx ends while its request is queued the request is
// taken out and never written; if it ends while the batch holding it is
// being written, the frame is stuck on the socket, and the rule for a
// stuck frame applies (the connection is closed, ErrPeerStalled).

// The states of a sendReq, changed under Conn.qmu.
const (
	reqQueued uint8 = iota // waiting in the queue
	reqLead                // given the write slot: its Send writes the next batch
	reqTaken               // in the batch being written
	reqDone                // written, or failed: err says
)

// errNotConnected: the request was failed because the connection was
// no longer ready when its batch was to be written.
var errNotConnected = errors.New("websocket: not connected")

type sendReq struct {
	pt    protocol.PayloadType
	data  []byte
	state uint8
	err   error
	// wrote: the batch holding it handed this frame to the connection
	// whole, even if the batch's write failed after it (set by
	// writeBatch; such a frame's Send succeeds, so that the transport does
	// not send it again and the peer does not get it twice).
	wrote bool
	next  *sendReq
	wake  chan struct{} // capacity 1: one token per hand-off or outcome
}

var sendReqs = sync.Pool{New: func() any { return &sendReq{wake: make(chan struct{}, 1)} }}

// push queues r; c.qmu is held.
func (c *Conn) push(r *sendReq) {
	r.state = reqQueued
	r.next = nil
	if c.qtail == nil {
		c.qhead = r
	} else {
		c.qtail.next = r
	}
	c.qtail = r
	c.queued.Add(1)
}

// unlink takes a queued r out of the queue; c.qmu is held.
func (c *Conn) unlink(r *sendReq) {
	var prev *sendReq
	for p := c.qhead; p != nil; prev, p = p, p.next {
		if p != r {
			continue
		}
		if prev == nil {
			c.qhead = p.next
		} else {
			prev.next = p.next
		}
		if c.qtail == p {
			c.qtail = prev
		}
		p.next = nil
		c.queued.Add(-1)
		return
	}
}

// releaseWriter gives the write slot up: to the oldest queued request if
// there is one, else free. A Send queues its request, then tries to take
// the slot, and a release frees the slot, then looks at the queue: one of
// the two sees the other, so no request is left queued with nobody to
// write it.
func (c *Conn) releaseWriter() {
	for {
		if c.queued.Load() == 0 {
			c.wslot.Release()
			if c.queued.Load() == 0 || !c.wslot.TryTake() {
				return
			}
		}
		c.qmu.Lock()
		if r := c.qhead; r != nil {
			r.state = reqLead
			c.qmu.Unlock()
			r.wake <- struct{}{}
			return
		}
		c.qmu.Unlock()
	}
}

// sendQueued is Send when the writer is busy: it queues the frame and
// waits for it to be written, or for its turn to write.
func (l *lane) sendQueued(ctx context.Context, data []byte) error {
	c := l.c
	r := sendReqs.Get().(*sendReq)
	r.pt, r.data, r.err = l.pt, data, nil
	c.qmu.Lock()
	c.push(r)
	took := c.wslot.TryTake() // freed meanwhile: lead at once
	c.qmu.Unlock()
	if took {
		return l.lead(ctx, r)
	}
	ctxDone, done := ctx.Done(), c.done
	for {
		select {
		case <-r.wake:
			if r.state == reqLead {
				return l.lead(ctx, r)
			}
			return l.finish(ctx, r)
		case <-ctxDone:
			ctxDone = nil
			c.qmu.Lock()
			switch r.state {
			case reqQueued:
				c.unlink(r)
				c.qmu.Unlock()
				l.recycle(r)
				return fmt.Errorf("websocket: waiting to write to %s: %w", c.remote, ctx.Err())
			case reqTaken:
				// Stuck on the socket past its deadline.
				c.qmu.Unlock()
				c.abortStalled()
				<-r.wake
				l.recycle(r)
				return c.stalledErr(ctx)
			}
			c.qmu.Unlock() // its wake is on the way
		case <-done:
			done = nil
			c.qmu.Lock()
			if r.state == reqQueued {
				c.unlink(r)
				c.qmu.Unlock()
				l.recycle(r)
				return c.laneClosed(nil)
			}
			c.qmu.Unlock()
		}
	}
}

func (l *lane) recycle(r *sendReq) {
	r.data, r.err, r.next = nil, nil, nil
	sendReqs.Put(r)
}

// finish returns the outcome of a request another Send wrote.
func (l *lane) finish(ctx context.Context, r *sendReq) error {
	err := r.err
	l.recycle(r)
	return l.c.writeResult(err)
}

// lead writes batches from the queue, own among them, while holding the
// write slot; then it hands the slot on and returns own's outcome.
func (l *lane) lead(ctx context.Context, own *sendReq) error {
	c := l.c
	var ownErr error
	ownDone, ownStalled := false, false
	for !ownDone {
		c.qmu.Lock()
		if !c.ready.Load() {
			// Dead: fail everything queued, own included.
			first := c.qhead
			c.qhead, c.qtail = nil, nil
			c.queued.Store(0)
			for p := first; p != nil; p = p.next {
				p.state, p.err = reqDone, errNotConnected
			}
			c.qmu.Unlock()
			for p := first; p != nil; {
				next := p.next
				if p == own {
					ownDone, ownErr = true, errNotConnected
				} else {
					p.wake <- struct{}{}
				}
				p = next
			}
			break
		}
		// Take the oldest requests, up to writeBufSize bytes (at least one).
		first := c.qhead
		last, k, size, ownIn := first, 0, 0, false
		for p := first; p != nil; p = p.next {
			n := wsHeaderMax + HeaderSize + len(p.data)
			if k > 0 && size+n > writeBufSize {
				break
			}
			p.state = reqTaken
			ownIn = ownIn || p == own
			last, k, size = p, k+1, size+n
		}
		c.qhead = last.next
		if c.qhead == nil {
			c.qtail = nil
		}
		last.next = nil
		c.queued.Add(int32(-k))
		c.qmu.Unlock()

		skipOwn := false
		guarded := ownIn && ctx.Done() != nil
		if guarded && !c.guard.begin(ctx) {
			skipOwn, guarded = true, false // ended already: not written
		}
		err := c.writeBatch(first, own, skipOwn)
		intime := !guarded || c.guard.end()
		if err != nil {
			c.die(fmt.Errorf("%w: write to %s failed: %w", transport.ErrWireClosed, c.remote, err))
			_ = c.ws.Load().CloseNow()
		}
		n, bytes := 0, 0
		for p := first; p != nil; p = p.next {
			if p.wrote {
				n, bytes = n+1, bytes+len(p.data)
			}
		}
		l.counters.FramesOut.Add(uint64(n))
		l.counters.BytesOut.Add(uint64(bytes))
		c.qmu.Lock()
		for p := first; p != nil; p = p.next {
			p.state, p.err = reqDone, err
			if p.wrote {
				p.err = nil
			}
		}
		c.qmu.Unlock()
		// A request woken is its Send's again: read nothing of it after.
		for p := first; p != nil; {
			next := p.next
			if p == own {
				ownDone = true
				switch {
				case skipOwn:
					ownErr = fmt.Errorf("websocket: write to %s: %w", c.remote, ctx.Err())
				case !intime:
					ownStalled = true
				case own.wrote:
					ownErr = nil
				default:
					ownErr = err
				}
			} else {
				p.wake <- struct{}{}
			}
			p = next
		}
	}
	c.releaseWriter()
	l.recycle(own)
	if ownStalled {
		<-c.aborted
		return c.stalledErr(ctx)
	}
	if ownErr != nil && ctx.Err() != nil && errors.Is(ownErr, ctx.Err()) {
		return ownErr
	}
	return c.writeResult(ownErr)
}

// writeResult maps a written frame's error to Send's.
func (c *Conn) writeResult(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNotConnected):
		return c.laneClosed(nil)
	}
	// Another Send's deadline closed the connection (ErrPeerStalled):
	// this Send is like one that waited behind it, whose lane closed.
	if cause := c.Err(); errors.Is(cause, transport.ErrStalled) && !errors.Is(cause, ErrPeerStalled) {
		// The watchdog, or another Send's deadline, failed the
		// connection under this Send: not ErrLaneClosed, so that the
		// transport does not write the message again at once to a peer
		// that does not read.
		return fmt.Errorf("websocket: write to %s: %w", c.remote, cause)
	}
	return c.laneClosed(err)
}

// stalledErr is the error of a Send whose frame was stuck on the socket
// when its ctx ended.
func (c *Conn) stalledErr(ctx context.Context) error {
	// Not ErrLaneClosed: the caller's deadline, not the lane, ended this
	// Send, and it must not be retried on another lane.
	return fmt.Errorf("websocket: write to %s: %w; connection closed: %w: %w", c.remote, ctx.Err(), transport.ErrStalled, ErrPeerStalled)
}

// writeBatch writes the requests from first on, skipping own if skipOwn,
// in as few Writes as the pooled buffer allows; the caller holds the write
// slot. Without a raw connection each goes through the library.
//
// It sets each request's wrote: true for a frame the connection took
// whole, also when a later part of the batch failed.
func (c *Conn) writeBatch(first, own *sendReq, skipOwn bool) error {
	for p := first; p != nil; p = p.next {
		p.wrote = false
	}
	if c.rw == nil {
		for p := first; p != nil; p = p.next {
			if p == own && skipOwn {
				continue
			}
			if err := c.writeFrame(p.pt, p.data); err != nil {
				return err
			}
			p.wrote = true
		}
		return nil
	}
	if _, err := c.writePending(); err != nil {
		return err
	}
	bp := writeBufs.Get().(*[]byte)
	fw := frameWriter{w: c.rw, client: c.client, buf: (*bp)[:0], progress: c.wrote}
	var err error
	type added struct {
		p   *sendReq
		end int64
	}
	var ends [32]added
	list := ends[:0]
	for p := first; p != nil && err == nil; p = p.next {
		if p == own && skipOwn {
			continue
		}
		if err = fw.add(p.pt, p.data); err == nil {
			list = append(list, added{p, fw.end()})
		}
	}
	if err == nil {
		err = fw.flush()
	}
	for _, a := range list {
		a.p.wrote = a.end <= fw.written
	}
	*bp = fw.buf[:0]
	writeBufs.Put(bp)
	return err
}

// wrote records progress for the watchdog and use of the write path for
// the keepalive's trim; the caller holds the write slot.
func (c *Conn) wrote() {
	if c.wst.Load() != wstWrote {
		c.wst.Store(wstWrote)
	}
}
