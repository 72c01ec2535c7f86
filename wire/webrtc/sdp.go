package webrtc

import "strings"

// sdpUfrag returns the first a=ice-ufrag value of an SDP, or "". Every
// media section of our descriptions shares one ICE agent, so the first is
// the one.
func sdpUfrag(sdp string) string {
	for line := range strings.Lines(sdp) {
		if v, ok := strings.CutPrefix(line, "a=ice-ufrag:"); ok {
			return strings.TrimRight(v, "\r\n")
		}
	}
	return ""
}
