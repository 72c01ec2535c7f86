package rpc

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Chunk is one DataChunk received on a stream lane.
type Chunk struct {
	From        protocol.ActorID
	Lane        protocol.PayloadType
	StreamID    string
	Sequence    uint64
	Payload     []byte
	Metadata    Metadata
	TimestampMs int64
	// Missed is how many sequence numbers of the stream were skipped
	// since the chunk delivered before this one (from 0 for the first
	// seen): lost on STREAM_LATENCY_FIRST, which neither retransmits nor
	// orders. Chunks that arrive after a later one are dropped (counted in
	// Stats.StreamLate), so a handler sees each stream in order.
	Missed uint64
}

// StreamHandler receives chunks, on the transport's goroutine for the
// sending peer and lane, in arrival order: it should be quick, and hand
// long work to a goroutine of its own.
type StreamHandler func(ctx context.Context, c Chunk)

// HandleStreams sets the handler of every inbound chunk.
func (e *Endpoint) HandleStreams(h StreamHandler) {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	e.streamH = h
}

// StreamWriter sends one stream's chunks, numbering them from 0. Its Send
// is for one goroutine at a time: concurrent Sends number chunks in the
// order they started, which need not be the order they go out in.
type StreamWriter struct {
	e    *Endpoint
	dest protocol.ActorID
	lane protocol.PayloadType
	id   string
	seq  atomic.Uint64
}

// NewStream returns a writer of stream id to dest on lane
// (STREAM_RELIABLE: every chunk, in order; STREAM_LATENCY_FIRST: no
// retransmits, no order, the receiver told what it missed).
func (e *Endpoint) NewStream(dest protocol.ActorID, lane protocol.PayloadType, id string) (*StreamWriter, error) {
	if lane != protocol.StreamReliable && lane != protocol.StreamLatencyFirst {
		return nil, fmt.Errorf("%w, not %s", ErrNotStreamLane, lane)
	}
	if id == "" || len(id) > maxStreamID {
		return nil, fmt.Errorf("rpc: a stream id must be 1 to %d bytes, not %d", maxStreamID, len(id))
	}
	return &StreamWriter{e: e, dest: dest, lane: lane, id: id}, nil
}

// Send sends the next chunk of the stream.
func (w *StreamWriter) Send(ctx context.Context, payload []byte, md ...MetadataEntry) error {
	s, err := w.e.boundSender()
	if err != nil {
		return err
	}
	seq := w.seq.Add(1) - 1
	now := time.Now().UnixMilli()
	c := &protocol.DataChunk{StreamId: &w.id, Sequence: &seq, Payload: nonNil(payload), Metadata: Metadata(md).proto(), TimestampMs: &now}
	data, err := proto.Marshal(c)
	if err == nil {
		err = s.Send(ctx, w.dest, w.lane, data)
	}
	if err != nil {
		return fmt.Errorf("rpc: stream %q to %s, chunk %d: %w", w.id, w.dest, seq, err)
	}
	return nil
}

func (e *Endpoint) serveChunk(ctx context.Context, msg transport.Message) {
	e.rmu.RLock()
	h := e.streamH
	e.rmu.RUnlock()
	if h == nil {
		e.drop(ctx, msg, dropStreamRefused)
		return
	}
	c := new(protocol.DataChunk)
	if err := proto.Unmarshal(msg.Data, c); err != nil || c.StreamId == nil || c.Sequence == nil || len(c.GetStreamId()) > maxStreamID {
		e.drop(ctx, msg, dropUndecodable)
		return
	}
	missed, ok := e.streams.advance(msg.From, msg.Type, c.GetStreamId(), c.GetSequence())
	if !ok {
		e.st.dropped[dropStreamLate].Add(1)
		e.m.dropped(dropStreamLate)
		return
	}
	e.st.streamMissed.Add(missed)
	h(ctx, Chunk{From: msg.From, Lane: msg.Type, StreamID: c.GetStreamId(), Sequence: c.GetSequence(), Payload: c.GetPayload(),
		Metadata: metadataFromProto(c.GetMetadata()), TimestampMs: c.GetTimestampMs(), Missed: missed})
}

// streamTable is the next sequence number expected of each stream, with a
// budget per peer and of peers: a new stream beyond the first takes the
// place of the peer's stream idle longest, a new peer beyond the second
// the place of the peer idle longest (whose streams start afresh if it
// comes back: their next chunks are delivered, with what they skipped
// counted from 0).
type streamTable struct {
	mu      sync.Mutex
	perPeer int
	tick    uint64
	peers   map[protocol.ActorID]*peerStreams
}

type peerStreams struct {
	streams map[streamKey]*streamState
	used    uint64
}

type streamKey struct {
	lane protocol.PayloadType
	id   string
}

type streamState struct {
	next uint64
	used uint64
}

// maxStreamPeers bounds the peers with tracked streams; with perPeer it
// bounds the table.
const maxStreamPeers = 1024

func (t *streamTable) init(perPeer int) {
	t.perPeer = perPeer
	t.peers = map[protocol.ActorID]*peerStreams{}
}

// advance records seq of a stream and returns how many numbers it
// skipped; ok is false for a chunk older than one already seen.
func (t *streamTable) advance(from protocol.ActorID, lane protocol.PayloadType, id string, seq uint64) (missed uint64, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tick++
	p := t.peers[from]
	if p == nil {
		if len(t.peers) >= maxStreamPeers {
			t.evictPeer()
		}
		p = &peerStreams{streams: map[streamKey]*streamState{}}
		t.peers[from] = p
	}
	p.used = t.tick
	k := streamKey{lane, id}
	s := p.streams[k]
	if s == nil {
		if len(p.streams) >= t.perPeer {
			evictStream(p.streams)
		}
		s = &streamState{}
		p.streams[k] = s
	}
	s.used = t.tick
	if seq < s.next {
		return 0, false
	}
	missed, s.next = seq-s.next, seq+1
	return missed, true
}

func (t *streamTable) evictPeer() {
	var oldest protocol.ActorID
	var at uint64
	first := true
	for id, p := range t.peers {
		if first || p.used < at {
			oldest, at, first = id, p.used, false
		}
	}
	delete(t.peers, oldest)
}

func evictStream(m map[streamKey]*streamState) {
	var oldest streamKey
	var at uint64
	first := true
	for k, s := range m {
		if first || s.used < at {
			oldest, at, first = k, s.used, false
		}
	}
	delete(m, oldest)
}

// ForgetPeer drops the stream state kept for a peer (call it when the
// peer is gone for good).
func (e *Endpoint) ForgetPeer(id protocol.ActorID) {
	e.streams.mu.Lock()
	defer e.streams.mu.Unlock()
	delete(e.streams.peers, id)
}
