package websocket

import (
	"bytes"
	"io"
	"testing"

	"github.com/actr-go/actr/protocol"
)

// cutWriter takes only the first n bytes of what it is given, then fails.
type cutWriter struct {
	got bytes.Buffer
	n   int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	m := min(len(p), c.n-c.got.Len())
	c.got.Write(p[:m])
	if m < len(p) {
		return m, io.ErrClosedPipe
	}
	return m, nil
}

// A batch whose Write fails part way: the frames the connection took
// whole are marked written (their Sends succeed, so that the transport
// does not send them again and the peer does not get them twice); the one
// cut and those after it are not.
func TestBatchCutPartWayMarksTheWholeFramesWritten(t *testing.T) {
	for _, client := range []bool{false, true} {
		var reqs []*sendReq
		var first *sendReq
		for i := 4; i >= 0; i-- {
			r := &sendReq{pt: protocol.PayloadType_RPC_RELIABLE, data: bytes.Repeat([]byte{byte(i)}, 64), next: first}
			first = r
			reqs = append([]*sendReq{r}, reqs...)
		}
		// Each frame is a 2-byte WebSocket header (+4 mask bytes from a
		// client), the 5-byte actr header and 64 bytes: cut inside the
		// fourth.
		frame := 2 + HeaderSize + 64
		if client {
			frame += 4
		}
		w := &cutWriter{n: 3*frame + 10}
		c := &Conn{rw: w, client: client}
		if err := c.writeBatch(first, nil, false); err == nil {
			t.Fatal("the cut write reported no error")
		}
		for i, r := range reqs {
			if want := i < 3; r.wrote != want {
				t.Errorf("client %v: frame %d marked written %v, want %v", client, i, r.wrote, want)
			}
		}
		if w.got.Len() != 3*frame+10 {
			t.Fatalf("the writer took %d bytes, want %d", w.got.Len(), 3*frame+10)
		}
	}
}
