package protocol_test

import (
	"errors"
	"fmt"

	"github.com/actr-go/actr/protocol"
)

func ExampleParseActorID() {
	id, err := protocol.ParseActorID("acme:echo:1.0@1.42")
	if err != nil {
		panic(err)
	}
	fmt.Println(id.Manufacturer, id.Name, id.Version, id.Realm, id.Serial)

	// Without a version, the version is empty.
	id, _ = protocol.ParseActorID("acme:echo@1.42")
	fmt.Printf("%q\n", id.Version)

	_, err = protocol.ParseActorID("acme:echo")
	fmt.Println(errors.Is(err, protocol.ErrBadActorID))
	// Output:
	// acme echo 1.0 1 42
	// ""
	// true
}

func ExampleActorID_String() {
	plain := protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "1.0"}
	fmt.Println(plain)

	// Bytes outside [A-Za-z0-9-_.~] are percent-escaped, so any strings
	// round-trip and the result is one URL path segment.
	odd := protocol.ActorID{Realm: 7, Serial: 1, Manufacturer: "Acme Inc.", Name: "echo:v2@eu/ü"}
	fmt.Println(odd)
	back, _ := protocol.ParseActorID(odd.String())
	fmt.Println(back == odd)
	// Output:
	// acme:echo:1.0@1.42
	// Acme%20Inc.:echo%3Av2%40eu%2F%C3%BC@7.1
	// true
}

func ExampleActorID_ActrString() {
	id := protocol.ActorID{Realm: 101, Serial: 0x1a2b3c, Manufacturer: "acme", Name: "echo-service", Version: "1.0.0"}
	fmt.Println(id.ActrString())
	fmt.Println(id)
	// Output:
	// 1a2b3c@101/acme:echo-service:1.0.0
	// acme:echo-service:1.0.0@101.1715004
}

func ExampleParseActrString() {
	id, err := protocol.ParseActrString("1a2b3c@101/acme:echo-service:1.0.0")
	fmt.Println(id, err)

	// actr requires a version.
	_, err = protocol.ParseActrString("1a2b3c@101/acme:echo-service")
	fmt.Println(errors.Is(err, protocol.ErrBadActorID))
	// Output:
	// acme:echo-service:1.0.0@101.1715004 <nil>
	// true
}

func ExampleParsePayloadType() {
	pt, err := protocol.ParsePayloadType("stream-latency-first")
	fmt.Println(pt, pt.IsData(), err)
	// Output: STREAM_LATENCY_FIRST true <nil>
}
