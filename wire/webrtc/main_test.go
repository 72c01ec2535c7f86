package webrtc_test

import (
	"testing"

	"go.uber.org/goleak"
)

// pion/turn's client refreshes an allocation from a timer goroutine; one
// that started its refresh as the ICE agent closed waits out the refresh
// transaction (its retransmission timeout) after the agent is gone, and
// ends then on its own. Seen once under load in the NAT tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/pion/turn/v5/internal/client.(*Transaction).WaitForResult"))
}
