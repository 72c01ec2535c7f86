package webrtc

import (
	"context"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"
)

// A browser on loopback (Chromium gathers no candidate we can use there)
// reaches us only by its connectivity checks: we learn its address as
// peer-reflexive. The peer here sends its answer with no candidate at
// all; the connection opens on a prflx pair. The time it took is logged
// (it was about 1 s more before the prflx wait was set to 0; a timing
// assertion would be flaky on a shared machine).
func TestPeerReflexiveRemoteConnects(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := Config{LoopbackOnly: true}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	ours, err := st.api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	theirs, err := st.api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	connected := make(chan struct{})
	ours.OnICEConnectionStateChange(func(s pion.ICEConnectionState) {
		if s == pion.ICEConnectionStateConnected {
			close(connected)
		}
	})
	if _, err := ours.CreateDataChannel("RPC_RELIABLE", nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	offer, err := ours.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pion.GatheringCompletePromise(ours)
	if err := ours.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := theirs.SetRemoteDescription(*ours.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := theirs.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := theirs.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	// The answer as created holds no candidate (none gathered yet), and
	// none is trickled to us.
	if err := ours.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-ctx.Done():
		t.Fatal("no connection with a peer-reflexive remote")
	}
	t.Logf("offer → ICE connected with a prflx remote: %v", time.Since(start).Round(time.Millisecond))
	pair, err := ours.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("selected pair %v, %v", pair, err)
	}
	if pair.Remote.Typ != pion.ICECandidateTypePrflx {
		t.Fatalf("remote candidate %s, want prflx", pair.Remote.Typ)
	}
}
