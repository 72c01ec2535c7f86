// Package node assembles a complete actr node from the library's parts:
// a signaling client (identity, presence, WebRTC session relay), a WebRTC
// Coordinator, a WebSocket dialer and gate, a DefaultWireBuilder and the
// OutprocManager that sends over them, with its health checker.
//
// It is what the actr command runs, and the shortest way for a program to
// join a realm:
//
//	n, err := node.Start(ctx, node.Config{
//		SignalingURL: "wss://signal.example:7000/",
//		Realm:        1,
//		Type:         signaling.ActorType{Manufacturer: "acme", Name: "worker"},
//		WSListen:     ":9001",
//		Handler:      h,
//	})
//	if err != nil {
//		return err
//	}
//	defer n.Close(context.Background()) // Close takes a ctx bounding the shutdown
//	err = n.Send(ctx, peer, protocol.RPCReliable, msg)
//
// The package's Example is the same, compiled and run by go test.
//
// Every part stays reachable (Manager, Coordinator, Signaling, Gate) for
// the cases the Config does not cover.
package node
