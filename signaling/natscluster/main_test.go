package natscluster_test

import (
	"testing"

	"go.uber.org/goleak"
)

// net/http's server lingers up to 500 ms on a connection its client
// asked to close, after Listener.Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("net/http.(*conn).closeWriteAndWait"))
}
