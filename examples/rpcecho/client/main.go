// Command client calls the server of examples/rpcecho from another
// process: the echo service through its generated client, then the
// untyped acme.Shout route.
//
//	go run ./examples/rpcecho/client --signal ws://127.0.0.1:7000/ --to acme:rpcecho:0@1.123 hello
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/rpc/echopb"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/wire/webrtc"
)

func main() {
	sig := flag.String("signal", "ws://127.0.0.1:7000/", "signaling server URL")
	to := flag.String("to", "", "the server's actor id, as it printed it")
	loopback := flag.Bool("loopback-only", true, "WebRTC over 127.0.0.1 only (one machine)")
	flag.Parse()
	if *to == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: client --to ACTORID MESSAGE")
		os.Exit(2)
	}
	if err := run(*sig, *to, flag.Arg(0), *loopback); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func run(sigURL, to, msg string, loopback bool) error {
	dest, err := protocol.ParseActorID(to)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, ep, err := rpc.StartNode(ctx, node.Config{SignalingURL: sigURL, Realm: 1,
		Type: signaling.ActorType{Manufacturer: "acme", Name: "rpcecho-client"}, WebRTC: webrtc.Config{LoopbackOnly: loopback}}, rpc.Config{})
	if err != nil {
		return err
	}
	defer ep.Close()
	defer n.Close(context.Background())

	resp, err := echopb.NewEchoClient(ep.Conn(dest)).Say(ctx, &echopb.SayRequest{Payload: []byte(msg)})
	if err != nil {
		return err
	}
	fmt.Printf("echo.Echo.Say: %s\n", resp.GetPayload())

	shout, err := ep.Call(ctx, dest, "acme.Shout", []byte(msg))
	if err != nil {
		return err
	}
	fmt.Printf("acme.Shout:    %s\n", shout)

	_, err = ep.Call(ctx, dest, "acme.Whisper", nil)
	var re *rpc.Error
	if errors.As(err, &re) {
		fmt.Printf("acme.Whisper:  error %d (%s)\n", uint32(re.Code), re.Message)
	}
	return nil
}
