package rpc

import (
	"context"

	"github.com/actr-go/actr/node"
)

// StartNode starts a node whose inbound handler is a new Endpoint, bound
// to it. cfg.Handler, if set, becomes the endpoint's Fallback (unless
// rcfg has one): it keeps receiving what is not RPC. Close the node, then
// the endpoint.
func StartNode(ctx context.Context, cfg node.Config, rcfg Config) (*node.Node, *Endpoint, error) {
	if rcfg.Fallback == nil {
		rcfg.Fallback = cfg.Handler
	}
	e := New(rcfg)
	cfg.Handler = e
	n, err := node.Start(ctx, cfg)
	if err != nil {
		_ = e.Close()
		return nil, nil, err
	}
	e.Bind(n)
	return n, e, nil
}
