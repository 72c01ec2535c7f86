package main

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain doubles as the actr command: with ACTR_TEST_MAIN=1 the test
// binary runs its arguments as actr would, so process tests need no
// separate build.
func TestMain(m *testing.M) {
	if os.Getenv("ACTR_TEST_MAIN") == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

var _ = context.Background
