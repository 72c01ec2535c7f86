package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/actr-go/actr/internal/writeslot"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Close codes this package sends. 4000-4999 are for applications.
const (
	// StatusSuperseded closes a connection that duplicates a surviving one.
	StatusSuperseded websocket.StatusCode = 4000
)

// ErrPeerUnresponsive: the peer did not answer a keepalive ping in time.
var ErrPeerUnresponsive = errors.New("websocket: peer did not answer the keepalive ping")

// ErrPeerStalled: a frame could not be written before its sender's ctx
// ended because the peer stopped reading; the connection was closed, as
// a frame cannot be abandoned half-written.
var ErrPeerStalled = errors.New("websocket: peer stopped reading: a frame was stuck on the socket past its Send's deadline")

// smallFrame is the largest payload copied next to its header and written
// as one WebSocket frame; larger payloads are written without a copy, as a
// header frame and a payload frame of one message.
const smallFrame = 4 << 10

// Conn is a WebSocket wire to one peer: a transport.Wire with one lane per
// data payload type. A Conn made by a Dialer connects on Connect; one
// accepted by a Gate is connected from birth.
type Conn struct {
	// What every Send reads, first and together: a Send to one of
	// thousands of connections finds it cold in the cache, and each
	// cache line it touches is a miss (docs/PROFILES.md). These 64 bytes
	// and the guard below are all of the Conn a Send reads unless it
	// fails.
	wslot writeslot.Slot                 // held while a frame is being written
	ready atomic.Bool                    // connected, and not dead
	wst   atomic.Uint32                  // wstWrote | wstMark, see below
	ws    atomic.Pointer[websocket.Conn] // set once, under mu, by start
	done  chan struct{}
	// wbuf is where small frames are assembled; it belongs to whoever
	// holds the write slot. wstWrote lets a keepalive ping drop the
	// buffer of a connection that sent nothing for a whole ping interval,
	// so an idle connection holds none (with keepalive off, at most
	// HeaderSize+smallFrame bytes stay).
	//
	// wstMark is the stall watchdog's: it sets the mark when it finds a
	// frame being written, and the writer clears it each time a frame,
	// or a chunk of a large one, is on the socket. A mark that survives
	// StallTimeout while the writer is still busy means the peer took
	// nothing: the connection is failed with transport.ErrStalled. In
	// the steady state the writer only loads wst (it is wstWrote) and
	// stores nothing: no atomic read-modify-write on the send path.
	wbuf  []byte
	guard stallGuard

	// The queue of Sends waiting for the writer (coalesce.go): qhead and
	// qtail under qmu; queued is their number, read without it.
	queued       atomic.Int32
	qmu          sync.Mutex
	qhead, qtail *sendReq
	// rw, when set (before start), is the connection under the library,
	// where data frames are written (framewriter.go); client says they are
	// masked. Without it they go through the library.
	rw     io.Writer
	client bool
	// pend holds small frames taken and not yet written (writebehind.go);
	// only with rw.
	pend pending
	// fr, when set (before start), reads the connection in place of the
	// library (framereader.go, rawread.go); only with rw.
	fr *frameReader
	// closeSent: our close frame is written or being written; nothing
	// follows it. With fr only.
	closeSent atomic.Bool
	// refused: closed for the gate's budget (refuseBudget).
	refused atomic.Bool
	// lend: the Inbound borrows payloads (transport.WithLentPayloads).
	lend bool
	// inline, when the Inbound has it, runs fast handlers on the reader.
	inline transport.InlineDeliverer

	id     transport.WireID
	local  protocol.ActorID
	remote protocol.ActorID
	in     transport.Inbound
	opts   Options
	log    *slog.Logger
	lanes  [protocol.PayloadTypeCount]*lane

	// Dialled connections only.
	dial func(ctx context.Context) (*websocket.Conn, net.Conn, io.Reader, error)

	ctx    context.Context // ends when the connection dies or is closed
	cancel context.CancelFunc
	wg     sync.WaitGroup // reader and keepalive
	onDone func()         // called once when the connection has died or closed
	// hold, when set (by the gate, before start), keeps inbound frames
	// from being delivered until it is closed: a handler replying to the
	// first message must find this connection already adopted.
	hold chan struct{}

	// aborted is closed once abortStalled has closed the connection, so
	// that the Send whose deadline ran it returns only after it is done.
	aborted   chan struct{}
	abortOnce sync.Once

	// budget is the gate's budget for bytes being read, shared by all
	// its connections (nil on a Dialer's: only MaxMessageSize bounds
	// them). Only the reader takes from and gives back to it.
	budget *byteBudget
	held   int // bytes the frame being read holds of budget; the reader's
	// raw is the TCP connection under an accepted connection when the gate
	// was served by Listen: closing it ends a close handshake that waits
	// for a frame's rest, which may never come.
	raw net.Conn

	// stallTicks counts the watchdog's consecutive ticks that found the
	// writer busy and its mark not cleared; only the watchdog touches it
	// (its runs are sequential: each arms the next).
	stallTicks int

	connectMu  sync.Mutex // serialises Connect
	mu         sync.Mutex
	pingTimer  *time.Timer // the next keepalive ping
	stallTimer *time.Timer // the next stall check
	closed     bool
	dead       bool
	err        error // why it died
	// The keepalive's ping on our own reader, under mu: the pong awaited.
	pingSeq uint64
	// pingFailed: the keepalive gave the peer up (once).
	pingFailed atomic.Bool
	pongWant   [8]byte
	pongWait   chan struct{}
}

func newConn(local, remote protocol.ActorID, in transport.Inbound, opts Options) *Conn {
	c := &Conn{
		id: transport.NewWireID(), local: local, remote: remote, in: in, opts: opts,
		log:     opts.Logger.With("wire", "websocket", "peer", remote.String()),
		done:    make(chan struct{}),
		wslot:   writeslot.New(),
		aborted: make(chan struct{}),
	}
	c.pend.kick = make(chan struct{}, 1)
	c.lend = in != nil && transport.LendsPayloads(in)
	c.inline, _ = in.(transport.InlineDeliverer)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.guard.abort = c.abortStalled
	for _, pt := range protocol.DataPayloadTypes() {
		c.lanes[pt] = &lane{c: c, counters: opts.Counters, max: opts.MaxMessageSize, pt: pt}
	}
	return c
}

// Kind implements transport.Wire.
func (c *Conn) Kind() transport.WireKind { return transport.WireWebSocket }

// ID implements transport.Wire.
func (c *Conn) ID() transport.WireID { return c.id }

// Remote returns the peer's ActorID.
func (c *Conn) Remote() protocol.ActorID { return c.remote }

// Ready implements transport.Wire.
func (c *Conn) Ready() bool { return c.ready.Load() }

// Done implements transport.Wire.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err reports why the connection died, once Done is closed.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Lane implements transport.Wire.
func (c *Conn) Lane(pt protocol.PayloadType) (transport.Lane, error) {
	if !pt.IsData() {
		return nil, fmt.Errorf("%w: a WebSocket wire has no %s lane", transport.ErrNoRoute, pt)
	}
	return c.lanes[pt], nil
}

// Connect implements transport.Wire: it dials the peer's gate. An accepted
// connection is connected already.
func (c *Conn) Connect(ctx context.Context) error {
	c.connectMu.Lock()
	defer c.connectMu.Unlock()
	c.mu.Lock()
	closed, connected := c.closed, c.ws.Load() != nil
	c.mu.Unlock()
	if closed {
		return fmt.Errorf("%w: WebSocket wire %d to %s", transport.ErrWireClosed, c.id, c.remote)
	}
	if connected {
		return nil
	}
	if c.dial == nil {
		return errors.New("websocket: Connect on a Conn that has no dialer")
	}
	ws, raw, src, err := c.dial(ctx)
	if err != nil {
		return err
	}
	c.setRaw(raw, src, true)
	if !c.start(ws) {
		return fmt.Errorf("%w: WebSocket wire %d to %s closed while connecting", transport.ErrWireClosed, c.id, c.remote)
	}
	return nil
}

// setRaw makes data frames go straight to nc, the connection under the
// library, if concurrent writes on it cannot interleave; and, given src
// (nc's bytes from the end of the handshake on), makes our own reader
// read them; before start.
func (c *Conn) setRaw(nc net.Conn, src io.Reader, client bool) {
	if nc == nil || !atomicWriter(nc) {
		return
	}
	c.rw, c.client = nc, client
	if c.opts.writeHook != nil {
		c.rw = c.opts.writeHook(nc)
	}
	if src != nil {
		c.fr = newFrameReader(src, !client, int64(c.opts.MaxMessageSize)+HeaderSize, connControl{c})
	}
}

// start installs a connected socket and starts the reader and keepalive.
// It reports false (and closes ws) if the Conn was closed meanwhile.
func (c *Conn) start(ws *websocket.Conn) bool {
	ws.SetReadLimit(int64(c.opts.MaxMessageSize) + HeaderSize)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = ws.CloseNow()
		return false
	}
	c.ws.Store(ws)
	c.wg.Add(1)
	if c.rw != nil {
		c.wg.Add(1)
		go c.flushLoop(ws)
	}
	c.schedulePingLocked(ws)
	c.scheduleStallCheckLocked(ws)
	c.ready.Store(true)
	c.mu.Unlock()
	go c.read(ws)
	return true
}

// die records why the connection ended and wakes everyone waiting on it.
// The first cause wins.
func (c *Conn) die(err error) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	c.dead = true
	c.err = err
	if c.pingTimer != nil {
		c.pingTimer.Stop()
	}
	if c.stallTimer != nil {
		c.stallTimer.Stop()
	}
	c.mu.Unlock()
	c.ready.Store(false)
	c.guard.release()
	c.cancel()
	close(c.done)
	if c.onDone != nil {
		c.onDone()
	}
}

// Close implements transport.Wire: a normal close handshake (bounded by
// the library's 5 s close timeouts), then it waits for the reader and the
// keepalive to end.
func (c *Conn) Close() error {
	return c.closeWith(websocket.StatusNormalClosure, "", fmt.Errorf("%w: closed locally", transport.ErrWireClosed))
}

func (c *Conn) closeWith(code websocket.StatusCode, reason string, cause error) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		c.wg.Wait()
		return nil
	}
	c.closed = true
	ws := c.ws.Load()
	if c.pingTimer != nil {
		c.pingTimer.Stop()
	}
	if c.stallTimer != nil {
		c.stallTimer.Stop()
	}
	c.mu.Unlock()
	if ws == nil || c.rw == nil {
		c.die(cause)
		if ws == nil {
			return nil
		}
		return c.closeLibrary(ws, code, reason)
	}
	// Data frames are written beside the library: wait for the batch
	// being written, then write what Sends took and is still pending
	// (Sends take no more), all before the close frame, holding the
	// writer; all of it within closeWriterWait, or the connection is cut.
	cut := time.AfterFunc(closeWriterWait, func() { _ = ws.CloseNow() })
	defer cut.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), closeWriterWait)
	ok, _ := c.wslot.Take(ctx, c.done)
	cancel()
	c.pend.mu.Lock()
	c.closeSent.Store(true)
	c.pend.mu.Unlock()
	if !ok {
		c.die(cause)
		_ = ws.CloseNow()
		c.wg.Wait()
		return nil
	}
	_, _ = c.writePending()
	c.die(cause)
	if c.fr == nil {
		defer c.releaseWriter()
		return c.closeLibrary(ws, code, reason)
	}
	// Our close frame; then the reader reads until the peer's (or the wait
	// runs out) and closes the socket.
	_ = c.writeControl(opClose, closeFrame(code, reason))
	c.releaseWriter()
	cut.Reset(closeWriterWait)
	c.wg.Wait()
	return nil
}

// closeLibrary is the library's close handshake.
func (c *Conn) closeLibrary(ws *websocket.Conn, code websocket.StatusCode, reason string) error {
	err := ws.Close(code, reason)
	c.wg.Wait()
	if err != nil && !isClosedErr(err) {
		return fmt.Errorf("websocket: closing the connection to %s: %w", c.remote, err)
	}
	return nil
}

// closeWriterWait bounds how long Close waits for the batch being written
// before it cuts the connection (the library's own close waits 5 s).
const closeWriterWait = 5 * time.Second

// abort closes the connection because the peer broke the protocol. It
// runs in the reader, after the offending message has been drained, so the
// library's close handshake can read the peer's reply.
func (c *Conn) abort(ws *websocket.Conn, code websocket.StatusCode, err error) {
	c.log.Warn("closing: the peer sent a bad frame", "err", err, "code", int(code))
	reason := err.Error()
	if len(reason) > 120 { // a close reason must fit in 123 bytes
		reason = reason[:120]
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.die(fmt.Errorf("%w: %w", transport.ErrWireClosed, err))
	if c.fr != nil {
		c.sendClose(ws, code, reason) // the reader's finishRead waits for the reply
		return
	}
	_ = ws.Close(code, reason)
}

func isClosedErr(err error) bool {
	s := websocket.CloseStatus(err)
	return s == websocket.StatusNormalClosure || s == websocket.StatusGoingAway || errors.Is(err, errNetClosed)
}

// lane is one payload type's lane. It carries what Send reads of the
// Conn's options, so that a Send touches no cache line of the Conn's
// beyond its first ones.
type lane struct {
	c        *Conn
	counters *Counters
	max      int // Options.MaxMessageSize
	pt       protocol.PayloadType
}

// Send implements transport.Lane. It waits for the connection's writer
// until ctx ends. Once its frame is going onto the socket it is written
// whole, unless ctx ends first: a peer that stopped reading holds the
// write, and a frame cannot be abandoned half-written, so the connection
// is closed (ErrPeerStalled, counted in StalledWrites) and Send returns
// ctx's error. Whatever the ctx, a frame of which the peer takes nothing
// for Options.StallTimeout fails the connection (transport.ErrStalled,
// counted in Stalls) and Send returns that. The death is reported like
// any other; the next Send dials.
func (l *lane) Send(ctx context.Context, data []byte) error {
	c := l.c
	if len(data) > l.max {
		return &transport.MessageTooLargeError{Size: len(data), Max: l.max}
	}
	if c.rw != nil && len(data) <= smallFrame {
		return l.sendBehind(ctx, data)
	}
	if !c.wslot.TryTake() {
		return l.sendQueued(ctx, data)
	}
	// The writer was free: nothing is queued; write at once, alone.
	if !c.ready.Load() {
		c.releaseWriter()
		return c.laneClosed(nil)
	}
	guarded := ctx.Done() != nil // only a ctx that can end needs the guard
	if guarded && !c.guard.begin(ctx) {
		c.releaseWriter()
		return fmt.Errorf("websocket: write to %s: %w", c.remote, ctx.Err())
	}
	err := c.writeOne(l.pt, data)
	intime := !guarded || c.guard.end()
	if err != nil && intime {
		c.die(fmt.Errorf("%w: write to %s failed: %w", transport.ErrWireClosed, c.remote, err))
		_ = c.ws.Load().CloseNow()
	}
	c.releaseWriter()
	if !intime {
		<-c.aborted // abortStalled's goroutine is done with the connection
		return c.stalledErr(ctx)
	}
	if err != nil {
		return c.writeResult(err)
	}
	l.counters.FramesOut.Add(1)
	l.counters.BytesOut.Add(uint64(len(data)))
	return nil
}

// abortStalled closes a connection whose writer is stuck on a peer that
// stopped reading, past the writing Send's deadline.
func (c *Conn) abortStalled() {
	c.abortOnce.Do(func() {
		c.opts.Counters.StalledWrites.Add(1)
		c.log.Warn("peer stopped reading; closing")
		c.die(fmt.Errorf("%w: %w: %w", transport.ErrWireClosed, transport.ErrStalled, ErrPeerStalled))
		_ = c.ws.Load().CloseNow()
		close(c.aborted)
	})
}

func (c *Conn) laneClosed(err error) error {
	if err == nil {
		err = c.Err()
	}
	if err == nil {
		return fmt.Errorf("%w: WebSocket wire %d to %s is not connected", transport.ErrLaneClosed, c.id, c.remote)
	}
	return fmt.Errorf("%w: WebSocket wire %d to %s: %w", transport.ErrLaneClosed, c.id, c.remote, err)
}

// writeOne writes one frame, alone; the caller holds the write slot. A
// small frame is assembled in wbuf, a large one in a pooled buffer.
func (c *Conn) writeOne(pt protocol.PayloadType, data []byte) error {
	if c.rw == nil {
		return c.writeFrame(pt, data)
	}
	if _, err := c.writePending(); err != nil {
		return err
	}
	if len(data) > smallFrame {
		bp := writeBufs.Get().(*[]byte)
		fw := frameWriter{w: c.rw, client: c.client, buf: (*bp)[:0], progress: c.wrote}
		err := fw.add(pt, data)
		if err == nil {
			err = fw.flush()
		}
		*bp = fw.buf[:0]
		writeBufs.Put(bp)
		return err
	}
	// Sized to the largest frame written yet, as an idle connection
	// keeps it until the keepalive's trim.
	if need := wsHeaderMax + HeaderSize + len(data); cap(c.wbuf) < need {
		c.wbuf = make([]byte, 0, need)
	}
	fw := frameWriter{w: c.rw, client: c.client, buf: c.wbuf[:0]}
	err := fw.add(pt, data)
	if err == nil {
		err = fw.flush()
	}
	c.wrote()
	return err
}

// writeFrame writes one frame through the library; the caller holds the
// write slot. It passes
// a context that never ends: a deadline reaching the library mid-frame
// would tear the connection down (DESIGN §4).
func (c *Conn) writeFrame(pt protocol.PayloadType, data []byte) error {
	ws := c.ws.Load()
	if len(data) <= smallFrame {
		c.wbuf = AppendFrame(c.wbuf[:0], pt, data)
		err := ws.Write(context.Background(), websocket.MessageBinary, c.wbuf)
		// Written, and progress for the watchdog; a load, and a store
		// only after a keepalive trim or a watchdog mark.
		if c.wst.Load() != wstWrote {
			c.wst.Store(wstWrote)
		}
		return err
	}
	w, err := ws.Writer(context.Background(), websocket.MessageBinary)
	if err != nil {
		return err
	}
	var hdr [HeaderSize]byte
	if _, err := w.Write(AppendHeader(hdr[:0], pt, len(data))); err != nil {
		_ = w.Close()
		return err
	}
	// In chunks, so that the watchdog sees a slow peer that reads make
	// progress within one large frame; each chunk is one WebSocket
	// fragment of the message.
	for len(data) > 0 {
		n := min(len(data), writeChunk)
		if _, err := w.Write(data[:n]); err != nil {
			_ = w.Close()
			return err
		}
		data = data[n:]
		c.progressed()
	}
	return w.Close()
}

// writeChunk is how much of a large frame is written between two marks
// of progress. The kernel's own granularity is coarser (it wakes a
// blocked writer once about half its send buffer is free; see
// Options.StallTimeout), so smaller chunks would show no more progress.
const writeChunk = 256 << 10

// The bits of Conn.wst.
const (
	wstWrote uint32 = 1 << iota // wbuf used since the last keepalive trim
	wstMark                     // set by the stall watchdog, cleared by progress
)

// progressed clears the watchdog's mark; the caller holds the write slot.
func (c *Conn) progressed() {
	if c.wst.Load()&wstMark != 0 {
		c.wst.And(^wstMark)
	}
}

// read is the connection's only reader: it must always be reading, or
// control frames (pings, pongs, close) are not processed.
func (c *Conn) read(ws *websocket.Conn) {
	defer c.wg.Done()
	if c.readLoop(ws) {
		return // another reader took over (inline delivery): the connection is its
	}
	c.giveBack()
	c.finishRead(ws)
}

// takeover starts a new reader while the current one runs a slow handler
// inline (transport.InlineDeliverer); that one stops reading after.
func (c *Conn) takeover() {
	c.wg.Add(1)
	go c.read(c.ws.Load())
}

// readLoop reads until the connection ends; handedOver says another
// reader took over.
func (c *Conn) readLoop(ws *websocket.Conn) (handedOver bool) {
	var slot *transport.InlineSlot
	if c.inline != nil {
		slot = transport.NewInlineSlot(c.takeover)
		defer slot.Stop()
	}
	max := c.opts.MaxMessageSize
	hold := c.hold
	var hdr [HeaderSize]byte
	for {
		typ, r, err := c.message(ws)
		if err != nil {
			c.die(c.readErr(err))
			return false
		}
		if typ != websocket.MessageBinary {
			n, _ := io.Copy(io.Discard, r)
			c.opts.Counters.TextMessages.Add(1)
			c.abort(ws, websocket.StatusUnsupportedData, &FrameError{Err: ErrFrameText, Size: n})
			return false
		}
		n, err := io.ReadFull(r, hdr[:])
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				c.opts.Counters.ShortFrames.Add(1)
				c.abort(ws, websocket.StatusProtocolError, &FrameError{Err: ErrFrameShort, Size: int64(n)})
			} else {
				c.die(c.readErr(err))
			}
			return false
		}
		pt, size, err := ParseHeader(hdr[:], max)
		if err != nil {
			unknown := errors.Is(err, ErrFrameUnknownType)
			if unknown {
				c.opts.Counters.UnknownTypeFrames.Add(1)
			} else {
				c.opts.Counters.OversizeFrames.Add(1)
			}
			// Drain the message (bounded by the read limit; past it the
			// library closes the connection with StatusMessageTooBig).
			rest, derr := io.Copy(io.Discard, r)
			if derr != nil {
				c.log.Warn("closing: the peer sent an oversize message", "err", err)
				c.die(c.readErr(derr))
				return false
			}
			var fe *FrameError
			errors.As(err, &fe)
			fe.Size = rest
			if unknown {
				// Perhaps a newer peer: refuse this frame, keep the connection.
				c.log.Warn("dropped a frame of a payload type without a data lane", "err", err)
				continue
			}
			c.abort(ws, websocket.StatusMessageTooBig, err)
			return false
		}
		payload, got, lent, err := c.readPayload(r, size)
		if errors.Is(err, ErrBufferBudget) {
			c.refuseBudget(ws, size, got)
			return false
		}
		if err == nil {
			var extra int64
			extra, err = io.Copy(io.Discard, r)
			if err != nil { // longer than declared, and past the read limit
				c.opts.Counters.LengthMismatches.Add(1)
				c.die(c.readErr(err))
				return false
			}
			if extra > 0 {
				c.opts.Counters.LengthMismatches.Add(1)
				c.abort(ws, websocket.StatusProtocolError, &FrameError{Err: ErrFrameLength, Type: hdr[0], Declared: int64(size), Size: int64(size) + extra})
				return false
			}
		}
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				c.opts.Counters.LengthMismatches.Add(1)
				c.abort(ws, websocket.StatusProtocolError, &FrameError{Err: ErrFrameLength, Type: hdr[0], Declared: int64(size), Size: int64(got)})
			} else {
				c.die(c.readErr(err))
			}
			return false
		}
		if hold != nil {
			select {
			case <-hold:
				hold = nil
			case <-c.ctx.Done():
				return false // closing
			}
		}
		msg := transport.Message{From: c.remote, Type: pt, Data: payload, Wire: transport.WireWebSocket}
		if lent {
			msg.Recycle = recycleLent
		}
		if c.inline != nil {
			// The handler may run here, and another reader take over
			// meanwhile: the budget this payload holds is kept apart from
			// the reader's (which the next reader takes from) and given
			// back when delivery is done; nothing of the reader's is
			// touched after a hand-over.
			held := c.held
			c.held = 0
			handed, ierr := c.inline.DeliverInline(c.ctx, msg, slot)
			c.budget.give(held)
			if handed {
				c.opts.Counters.FramesIn.Add(1)
				c.opts.Counters.BytesIn.Add(uint64(size))
				return true
			}
			err = ierr
		} else {
			err = c.in.Deliver(c.ctx, msg)
			// Delivered (or dropped): the payload is the inbound queue's
			// now, and its budget (transport.InboundLimits) takes over.
			c.giveBack()
		}
		if err != nil && lent {
			recycleLent(payload) // not queued: still ours
		}
		switch {
		case err == nil:
			c.opts.Counters.FramesIn.Add(1)
			c.opts.Counters.BytesIn.Add(uint64(size))
		case c.ctx.Err() != nil:
			return false // closing
		case errors.Is(err, transport.ErrInboundFull), errors.Is(err, transport.ErrNoHandler):
			// Counted by the inbound queues.
		default:
			c.log.Warn("inbound delivery failed", "type", pt, "err", err)
		}
	}
}

// readChunk is the most the reader allocates for a frame before its bytes
// arrive: the buffer starts at min(declared length, readChunk) and doubles
// only when full, so a peer announcing 16 MiB and sending nothing costs
// readChunk, and one sending n bytes costs less than 2n.
const readChunk = 16 << 10

// readPayload reads a payload of the declared size, never allocating
// from the declared length alone: the buffer grows as bytes arrive.
// Every byte of buffer is taken from the gate's budget first (held until
// giveBack); ErrBufferBudget says the budget had no room. It returns the
// buffer, the bytes read and io.ReadFull's error.
func (c *Conn) readPayload(r io.Reader, size int) (buf []byte, got int, lent bool, err error) {
	if size > readChunk && size <= largeRead {
		return c.readPayloadPooled(r, size)
	}
	buf, got, err = c.readPayloadGrowing(r, size)
	return buf, got, false, err
}

// readPayloadGrowing reads a payload into a buffer that doubles as bytes
// arrive.
func (c *Conn) readPayloadGrowing(r io.Reader, size int) ([]byte, int, error) {
	n := min(size, readChunk)
	if !c.take(n) {
		return nil, 0, ErrBufferBudget
	}
	buf := make([]byte, n)
	got := 0
	for {
		m, err := io.ReadFull(r, buf[got:])
		got += m
		if err != nil || got == size {
			return buf[:got], got, err
		}
		next := min(2*len(buf), size)
		if !c.take(next) {
			return nil, got, ErrBufferBudget
		}
		grown := make([]byte, next)
		copy(grown, buf)
		c.budget.give(len(buf))
		c.held -= len(buf)
		buf = grown
	}
}

// readPayloadPooled reads a payload of up to largeRead bytes into a
// reused buffer. When the handler borrows payloads (transport.
// WithLentPayloads) that buffer is the payload, lent (lent true) until
// the handler gives it back; otherwise, once every byte has come, it is
// copied into one of its exact size: no buffer is grown and copied on the
// way, and none is sized from the declared length before its bytes are
// there. The buffer counts against the budget while the reader holds it.
func (c *Conn) readPayloadPooled(r io.Reader, size int) ([]byte, int, bool, error) {
	if !c.take(largeRead) {
		return nil, 0, false, ErrBufferBudget
	}
	if c.lend {
		b := getLent()
		got, err := io.ReadFull(r, b[:size])
		if err != nil {
			recycleLent(b)
			return nil, got, false, err
		}
		return b[:size], got, true, nil
	}
	bp := largeReads.Get().(*[]byte)
	got, err := io.ReadFull(r, (*bp)[:size])
	var buf []byte
	if err == nil {
		buf = bytes.Clone((*bp)[:size])
	}
	largeReads.Put(bp)
	return buf, got, false, err
}

// lentBufs holds the payload buffers handlers gave back, for the next
// lent payloads; a few, so that a burst's buffers do not stay forever.
var lentBufs = make(chan []byte, 32)

func getLent() []byte {
	select {
	case b := <-lentBufs:
		return b
	default:
		return make([]byte, largeRead)
	}
}

// recycleLent is a lent payload's Message.Recycle.
func recycleLent(b []byte) {
	if cap(b) != largeRead {
		return
	}
	select {
	case lentBufs <- b[:largeRead]:
	default:
	}
}

// take takes n bytes of the gate's budget for the frame being read.
func (c *Conn) take(n int) bool {
	if !c.budget.take(n) {
		return false
	}
	c.held += n
	return true
}

// giveBack returns what the frame being read held of the budget.
func (c *Conn) giveBack() {
	c.budget.give(c.held)
	c.held = 0
}

// refuseBudget closes the connection of a frame the gate's budget has no
// room for. The frame is not drained: its bytes may never come. With the
// TCP connection at hand, the peer gets a close frame with the reason
// (StatusTryAgainLater) and refuseGrace to finish its frame before the
// connection is cut; without, it is cut at once.
func (c *Conn) refuseBudget(ws *websocket.Conn, size, got int) {
	c.giveBack()
	c.opts.Counters.RefusedBudget.Add(1)
	err := fmt.Errorf("%w: %w (frame of %d bytes, %d read; GateConfig.MaxBufferedBytes)", transport.ErrWireClosed, ErrBufferBudget, size, got)
	c.log.Warn("closing: no room in the budget for frames being read (MaxBufferedBytes)", "declared", size, "read", got)
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.die(err)
	if c.fr != nil {
		c.refused.Store(true)
		c.sendClose(ws, websocket.StatusTryAgainLater, "over the memory budget for frames being read; retry later")
		return
	}
	if c.raw == nil {
		_ = ws.CloseNow()
		return
	}
	cut := time.AfterFunc(refuseGrace, func() { _ = c.raw.Close() })
	defer cut.Stop()
	_ = ws.Close(websocket.StatusTryAgainLater, "over the memory budget for frames being read; retry later")
}

// refuseGrace bounds the close handshake of a connection refused for the
// budget (the library's own bound is 5 s per step, and none while it skips
// the rest of the frame).
const refuseGrace = time.Second

// readErr turns a read error into the connection's cause of death; a
// peer's breach of the WebSocket protocol is answered with its close frame
// first.
func (c *Conn) readErr(err error) error {
	if pe := (*protocolError)(nil); errors.As(err, &pe) {
		c.refuseProtocol(pe)
		return fmt.Errorf("%w: closing the connection to %s: %w", transport.ErrWireClosed, c.remote, err)
	}
	switch s := websocket.CloseStatus(err); s {
	case -1:
		return fmt.Errorf("%w: connection to %s lost: %w", transport.ErrWireClosed, c.remote, err)
	case StatusSuperseded:
		return fmt.Errorf("%w: %w", transport.ErrSuperseded, err)
	default:
		return fmt.Errorf("%w: %s closed the connection: %w", transport.ErrWireClosed, c.remote, err)
	}
}

// Keepalive: the peer is pinged PingInterval after the previous ping was
// answered; a ping not answered within PingTimeout means the peer is dead
// or stuck, and the connection is closed. Between pings nothing waits: a
// timer runs the next ping on its own goroutine, so an idle connection
// costs no keepalive goroutine (and its stack) at all.

// schedulePingLocked arms the next ping; c.mu is held.
func (c *Conn) schedulePingLocked(ws *websocket.Conn) {
	if c.opts.PingInterval <= 0 || c.closed || c.dead {
		return
	}
	c.pingTimer = time.AfterFunc(c.opts.PingInterval, func() { c.ping(ws) })
}

// enterTimer counts a timer's callback in c.wg, so that Close waits for
// it, unless the connection is closed or dead (then it must not run).
func (c *Conn) enterTimer() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.dead {
		return false
	}
	c.wg.Add(1)
	return true
}

// ping runs on the timer's goroutine, counted in c.wg so that Close
// waits for it: it is registered under c.mu only while the connection is
// open, and Close marks it closed under c.mu before waiting.
func (c *Conn) ping(ws *websocket.Conn) {
	if !c.enterTimer() {
		return
	}
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.PingTimeout)
	var err error
	if c.fr != nil {
		err = c.rawPing(ctx, ws)
	} else {
		err = ws.Ping(ctx)
	}
	cancel()
	if err != nil {
		if c.ctx.Err() != nil {
			return // closed, or dead of another cause (or cut by rawPing, which said why)
		}
		c.unresponsive(ws)
		return
	}
	c.opts.Counters.Pings.Add(1)
	c.trimWriteBuffer()
	c.mu.Lock()
	c.schedulePingLocked(ws)
	c.mu.Unlock()
}

// unresponsive fails the connection of a peer that answered no ping
// within PingTimeout: counted once, and the cause recorded before the
// socket is cut, so that the reader, failing on the cut socket, does not
// pass its own error off as the cause.
func (c *Conn) unresponsive(ws *websocket.Conn) {
	if !c.pingFailed.CompareAndSwap(false, true) {
		return
	}
	c.opts.Counters.PingFailures.Add(1)
	c.log.Warn("peer unresponsive; closing", "timeout", c.opts.PingTimeout)
	c.die(fmt.Errorf("%w: %w (no pong within %s)", transport.ErrWireClosed, ErrPeerUnresponsive, c.opts.PingTimeout))
	_ = ws.CloseNow()
}

// trimWriteBuffer drops the frame buffer if nothing was written since the
// last call; it leaves it alone while a Send holds the writer.
func (c *Conn) trimWriteBuffer() {
	if !c.wslot.TryTake() {
		return
	}
	if c.wst.Load()&wstWrote == 0 {
		c.wbuf = nil
	}
	c.wst.And(^wstWrote)
	c.releaseWriter()
}
