package status_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/status"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// A status page for a manager, next to whatever else the program serves.
func Example() {
	id := protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "app"}
	mgr, err := transport.NewOutprocManager(id, transporttest.NewBuilder(transporttest.NewNetwork(), id))
	if err != nil {
		log.Fatal(err)
	}
	defer mgr.Close()
	rec := status.NewRecorder(mgr, 100)
	defer rec.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /status", status.Handler(mgr, rec)) // ?format=json for tools

	s := status.Take(mgr, rec)
	fmt.Println(s.Actor, len(s.Dests))
	// Output: acme:app@1.1 0
}
