package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
)

// sendCall is actr send's call: one RPC to route, its response's payload
// on stdout exactly, one line about it on stderr.
func sendCall(ctx context.Context, cfg node.Config, dest protocol.ActorID, pt protocol.PayloadType, route string, data []byte,
	tell bool, timeout time.Duration, stdout, stderr io.Writer) error {
	cfg.HealthCheckInterval = -1 // a one-shot
	n, ep, err := rpc.StartNode(ctx, cfg, rpc.Config{})
	err = explainRegistration(err, cfg)
	if err != nil {
		return err
	}
	defer func() {
		_ = closeNode(n)
		_ = ep.Close()
	}()
	req := data
	start := time.Now()
	if tell {
		if err := ep.Tell(ctx, dest, route, req, rpc.OnLane(pt)); err != nil {
			return explainSendError(dest, err)
		}
		fmt.Fprintf(stderr, "told %s to %s (%d bytes) in %s\n", route, dest, len(data), fmtDuration(time.Since(start)))
		return nil
	}
	var info rpc.ResponseInfo
	resp, err := ep.Call(ctx, dest, route, req, rpc.OnLane(pt), rpc.WithResponseInfo(&info))
	var re *rpc.Error
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("%s answered %s with error %d: %s", dest, route, uint32(re.Code), re.Message)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no response from %s to %s within %s (--timeout; is the peer serving RPC? --raw sends plain bytes): %w", dest, route, timeout, err)
	case err != nil:
		return explainSendError(dest, err)
	}
	fmt.Fprintf(stderr, "reply from %s to %s over %s (%s) in %s:\n", dest, route, info.Wire, info.Lane, fmtDuration(time.Since(start)))
	_, err = stdout.Write(resp) // exactly the bytes of the response
	return err
}
