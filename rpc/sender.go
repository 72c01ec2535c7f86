package rpc

import (
	"context"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Sender sends bytes to an actor on a payload type's lane. *node.Node is
// one; [ManagerSender] makes one of a transport.OutprocManager.
type Sender interface {
	Send(ctx context.Context, dest protocol.ActorID, pt protocol.PayloadType, data []byte) error
}

// ManagerSender adapts an OutprocManager to a Sender.
func ManagerSender(m *transport.OutprocManager) Sender { return managerSender{m} }

type managerSender struct{ m *transport.OutprocManager }

func (s managerSender) Send(ctx context.Context, dest protocol.ActorID, pt protocol.PayloadType, data []byte) error {
	return s.m.Send(ctx, transport.Actor(dest), pt, data)
}
