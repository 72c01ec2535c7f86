package websocket_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
	"github.com/actr-go/actr/wire/websocket"
)

// countingWriter counts the Writes of data frames on a connection.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.w.Write(p)
}

// N concurrent Sends on one connection take fewer than N writes, and
// every frame arrives, in each sender's order.
func TestConcurrentSendsCoalesce(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	log := transporttest.NewDeliveryLog()
	w.node(t, idB, nodeOpts{handler: log})
	var writes atomic.Int64
	var opts websocket.Options
	websocket.SetWriteHook(&opts, func(w io.Writer) io.Writer { return countingWriter{w, &writes} })
	a := w.node(t, idA, nodeOpts{noListen: true, dialOpts: opts})
	if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCSignal, transporttest.SeqPayload(0, 0, 64)); err != nil {
		t.Fatal(err)
	}
	const senders, per = 16, 500
	before := writes.Load()
	var wg sync.WaitGroup
	for s := range uint8(senders) {
		wg.Go(func() {
			for seq := range uint32(per) {
				if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, transporttest.SeqPayload(s, seq, 64)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for s := range uint8(senders) {
		if err := log.WaitFor(ctx, transporttest.SeqKey{From: idA, Type: protocol.RPCReliable, Stream: s}, per-1); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range log.Violations() {
		t.Error(v)
	}
	n := writes.Load() - before
	t.Logf("%d frames in %d writes (%.3f writes a frame)", senders*per, n, float64(n)/(senders*per))
	if n >= senders*per {
		t.Errorf("%d concurrent frames took %d writes: nothing was coalesced", senders*per, n)
	}
}

// A lone message goes out at once: it is delivered with no other Send
// behind it to complete a batch.
func TestLoneMessageWrittenAtOnce(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	got := make(chan []byte, 1)
	w.node(t, idB, nodeOpts{handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { got <- m.Data })})
	var writes atomic.Int64
	var opts websocket.Options
	websocket.SetWriteHook(&opts, func(w io.Writer) io.Writer { return countingWriter{w, &writes} })
	a := w.node(t, idA, nodeOpts{noListen: true, dialOpts: opts})
	for _, size := range []int{1, 4000, 64 << 10} {
		want := bytes.Repeat([]byte{byte(size)}, size)
		if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, want); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-got:
			if !bytes.Equal(d, want) {
				t.Fatalf("%d bytes: delivered %d bytes, not what was sent", size, len(d))
			}
		case <-ctx.Done():
			t.Fatalf("a lone %d-byte message was not delivered", size)
		}
	}
	if writes.Load() == 0 {
		t.Error("the frames did not go through the frame writer")
	}
}

// The frame writer's frames, masked or not, whole or in fragments, decode
// to what was written (a plain RFC 6455 reader, below).
func TestFrameWriterMasking(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, client := range []bool{false, true} {
		for _, bufCap := range []int{64, 300, 70000} {
			var pts []protocol.PayloadType
			var datas [][]byte
			for range 20 {
				n := []int{0, 1, 7, 125, 126, 1000, 65535, 65536, 100000}[r.IntN(9)]
				d := make([]byte, n)
				for i := range d {
					d[i] = byte(r.Uint32())
				}
				pts, datas = append(pts, protocol.PayloadType(r.IntN(4))), append(datas, d)
			}
			var stream []byte
			for _, w := range websocket.EncodeFrames(client, bufCap, pts, datas) {
				if len(w) > bufCap {
					t.Fatalf("a write of %d bytes from a %d-byte buffer", len(w), bufCap)
				}
				stream = append(stream, w...)
			}
			for i := range pts {
				var msg []byte
				var err error
				msg, stream, err = readMessage(stream, client)
				if err != nil {
					t.Fatalf("client=%v cap=%d message %d: %v", client, bufCap, i, err)
				}
				pt, data, err := websocket.DecodeFrame(msg, 1<<20)
				if err != nil || pt != pts[i] || !bytes.Equal(data, datas[i]) {
					t.Fatalf("client=%v cap=%d message %d: decoded type %v, %d bytes (%v); want %v, %d bytes", client, bufCap, i, pt, len(data), err, pts[i], len(datas[i]))
				}
			}
			if len(stream) != 0 {
				t.Fatalf("%d bytes left over", len(stream))
			}
		}
	}
}

// readMessage reads one binary message, unmasking and joining fragments.
func readMessage(b []byte, masked bool) (msg, rest []byte, err error) {
	for first := true; ; first = false {
		if len(b) < 2 {
			return nil, nil, io.ErrUnexpectedEOF
		}
		fin, op := b[0]&0x80 != 0, b[0]&0x0f
		if (first && op != 2) || (!first && op != 0) || b[0]&0x70 != 0 {
			return nil, nil, errFrame("bad opcode or rsv")
		}
		if (b[1]&0x80 != 0) != masked {
			return nil, nil, errFrame("mask bit wrong")
		}
		n, h := int(b[1]&0x7f), 2
		switch n {
		case 126:
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
			if n < 126 {
				return nil, nil, errFrame("non-minimal length")
			}
		case 127:
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
			if n <= 0xffff {
				return nil, nil, errFrame("non-minimal length")
			}
		}
		var key []byte
		if masked {
			key, h = b[h:h+4], h+4
		}
		if len(b) < h+n {
			return nil, nil, io.ErrUnexpectedEOF
		}
		p := append([]byte(nil), b[h:h+n]...)
		for i := range p {
			if masked {
				p[i] ^= key[i%4]
			}
		}
		msg, b = append(msg, p...), b[h+n:]
		if fin {
			return msg, b, nil
		}
	}
}

type errFrame string

func (e errFrame) Error() string { return string(e) }
