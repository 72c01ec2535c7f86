package websocket_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/wire/websocket"
)

func TestFrameLayoutIsActrCompatible(t *testing.T) {
	got := websocket.AppendFrame(nil, protocol.StreamReliable, []byte("hi"))
	// type 2, length 2 big-endian, payload.
	if want := "02" + "00000002" + hex.EncodeToString([]byte("hi")); hex.EncodeToString(got) != want {
		t.Fatalf("frame = %x, want %s", got, want)
	}
	pt, payload, err := websocket.DecodeFrame(got, 16)
	if err != nil || pt != protocol.StreamReliable || string(payload) != "hi" {
		t.Fatalf("DecodeFrame = %v %q %v", pt, payload, err)
	}
}

func TestDecodeFrameRefusals(t *testing.T) {
	big := websocket.AppendHeader(nil, protocol.RPCReliable, 17)
	for _, tc := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, websocket.ErrFrameShort},
		{"four bytes", []byte{0, 0, 0, 0}, websocket.ErrFrameShort},
		{"unknown type", websocket.AppendFrame(nil, 9, nil), websocket.ErrFrameUnknownType},
		{"media has no data lane", websocket.AppendFrame(nil, protocol.MediaRTP, nil), websocket.ErrFrameUnknownType},
		{"length says more", append(websocket.AppendHeader(nil, 0, 3), 'a'), websocket.ErrFrameLength},
		{"length says less", append(websocket.AppendHeader(nil, 0, 1), 'a', 'b'), websocket.ErrFrameLength},
		{"over the maximum", append(big, bytes.Repeat([]byte{1}, 17)...), websocket.ErrFrameTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := websocket.DecodeFrame(tc.msg, 16)
			var fe *websocket.FrameError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if fe.Error() == "" {
				t.Fatal("empty message")
			}
		})
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(websocket.AppendFrame(nil, protocol.RPCReliable, []byte("hello")), 64)
	f.Add([]byte{3, 0, 0, 0, 0}, 0)
	f.Add([]byte{4, 0, 0, 0, 1, 0}, 8)
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff}, 1<<20)
	f.Add([]byte{1, 0, 0}, 8)
	f.Fuzz(func(t *testing.T, msg []byte, max int) {
		if max < 0 {
			max = -max
		}
		pt, payload, err := websocket.DecodeFrame(msg, max)
		if err != nil {
			var fe *websocket.FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FrameError", err)
			}
			return
		}
		if !pt.IsData() || len(payload) > max || len(payload) != len(msg)-websocket.HeaderSize {
			t.Fatalf("accepted a bad frame: type %d, %d payload bytes, max %d", pt, len(payload), max)
		}
		if again := websocket.AppendFrame(nil, pt, payload); !bytes.Equal(again, msg) {
			t.Fatalf("re-encoding %x gave %x", msg, again)
		}
	})
}
