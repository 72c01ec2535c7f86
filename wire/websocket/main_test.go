package websocket_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelperNode())
	}
	if os.Getenv(sinkEnv) != "" {
		os.Exit(runSink())
	}
	goleak.VerifyTestMain(m)
}
