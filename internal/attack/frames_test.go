package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

func TestMaskedFrame(t *testing.T) {
	for _, n := range []int{0, 5, 125, 126, 70000} {
		p := bytes.Repeat([]byte{'x'}, n)
		f := maskedFrame(0x2, n != 5, p)
		if fin := f[0]&0x80 != 0; fin != (n != 5) || f[0]&0x0f != 0x2 {
			t.Fatalf("%d bytes: first byte %#x", n, f[0])
		}
		if f[1]&0x80 == 0 {
			t.Fatalf("%d bytes: not masked", n)
		}
		l, off := int(f[1]&0x7f), 2
		switch l {
		case 126:
			l, off = int(binary.BigEndian.Uint16(f[2:])), 4
		case 127:
			l, off = int(binary.BigEndian.Uint64(f[2:])), 10
		}
		if l != n || len(f) != off+4+n {
			t.Fatalf("%d bytes: header says %d, frame is %d bytes", n, l, len(f))
		}
		mask, body := f[off:off+4], f[off+4:]
		for i := range body {
			if body[i]^mask[i%4] != 'x' {
				t.Fatalf("%d bytes: byte %d does not unmask", n, i)
			}
		}
	}
}

func TestReadServerFrame(t *testing.T) {
	var b bytes.Buffer
	b.Write([]byte{0x82, 3, 'a', 'b', 'c'})
	b.Write([]byte{0x82, 126, 0x01, 0x00})
	b.Write(bytes.Repeat([]byte{'y'}, 256))
	b.Write([]byte{0x82, 127, 0, 0, 0, 0, 0, 0x10, 0, 0})
	r := bufio.NewReader(&b)
	if op, p, err := readServerFrame(r, 1024); err != nil || op != 2 || string(p) != "abc" {
		t.Fatalf("short frame: %d %q %v", op, p, err)
	}
	if _, p, err := readServerFrame(r, 1024); err != nil || len(p) != 256 {
		t.Fatalf("16-bit length: %d bytes, %v", len(p), err)
	}
	if _, _, err := readServerFrame(r, 1024); err == nil {
		t.Fatal("a frame over the bound was read")
	}
}

func TestFakeAnswer(t *testing.T) {
	offer := "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AA:BB\r\na=group:BUNDLE 0\r\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\na=mid:0\r\n" +
		"a=ice-ufrag:theirs\r\na=ice-pwd:theirpassword\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\na=end-of-candidates\r\n"
	ans, mid := fakeAnswer(offer, "mine", "mypassword0123456789ab")
	if mid != "0" {
		t.Fatalf("mid %q", mid)
	}
	for _, want := range []string{"a=setup:active\r\n", "a=ice-ufrag:mine\r\n", "a=ice-pwd:mypassword0123456789ab\r\n", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"} {
		if !strings.Contains(ans, want) {
			t.Errorf("the answer lacks %q:\n%s", want, ans)
		}
	}
	for _, gone := range []string{"actpass", "theirs", "a=candidate", "end-of-candidates", "AA:BB"} {
		if strings.Contains(ans, gone) {
			t.Errorf("the answer still has %q:\n%s", gone, ans)
		}
	}
	if fp := ans[strings.Index(ans, "a=fingerprint:sha-256 ")+len("a=fingerprint:sha-256 "):]; len(strings.SplitN(fp, "\r\n", 2)[0]) != 32*3-1 {
		t.Errorf("the fingerprint is not 32 hex bytes: %q", strings.SplitN(fp, "\r\n", 2)[0])
	}
}
