package main

import (
	"context"
	"time"

	"github.com/actr-go/actr/node"
)

// nodeCloseTimeout bounds a command's node Close: what Send accepted is
// delivered before the wires go, for that long at most.
const nodeCloseTimeout = 5 * time.Second

// closeNode closes n within nodeCloseTimeout.
func closeNode(n *node.Node) error {
	ctx, cancel := context.WithTimeout(context.Background(), nodeCloseTimeout)
	defer cancel()
	return n.Close(ctx)
}
