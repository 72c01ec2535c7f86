package status

import (
	"context"
	"errors"
	"strings"

	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

// Outcome classifies why a wire went down, for people: an ordinary exit
// of the peer is not a failure.
type Outcome string

// Outcomes of Describe.
const (
	OutcomeNone     Outcome = ""          // no error
	OutcomePeerLeft Outcome = "peer-left" // the peer closed the connection in order
	OutcomeClosed   Outcome = "closed"    // closed on this side
	OutcomeProblem  Outcome = "problem"   // the peer vanished, stalled, refused, ...
	peerLeftSummary         = "the peer closed the connection"
	closedSummary           = "closed by this node"
)

// Describe turns a wire's error into one short line and its outcome. The
// full chain stays available (the JSON has it; the page shows it on
// demand): a summary is for someone scanning the page.
func Describe(err error) (string, Outcome) {
	if err == nil {
		return "", OutcomeNone
	}
	text := err.Error()
	switch {
	case errors.Is(err, transport.ErrStalled), errors.Is(err, websocket.ErrPeerStalled):
		return "the peer stopped reading", OutcomeProblem
	case errors.Is(err, websocket.ErrPeerUnresponsive):
		return "the peer stopped answering keepalive pings", OutcomeProblem
	case errors.Is(err, transport.ErrRefused):
		return "the peer refused the connection", OutcomeProblem
	case errors.Is(err, transport.ErrSuperseded):
		return "replaced by a newer connection to the same peer", OutcomeClosed
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, transport.ErrTimeout):
		return "timed out", OutcomeProblem
	case peerLeft(text):
		return peerLeftSummary, OutcomePeerLeft
	case errors.Is(err, transport.ErrClosed), errors.Is(err, transport.ErrClosing):
		return closedSummary, OutcomeClosed
	}
	return firstCause(text), OutcomeProblem
}

// peerLeft recognises the orderly ends of a connection as the wires
// report them: a WebSocket close frame with a normal status, an SCTP
// abort the peer's own Close sends, an EOF.
func peerLeft(text string) bool {
	for _, s := range []string{"StatusNormalClosure", "StatusGoingAway", "User Initiated Abort", "closed the connection", ": EOF"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return strings.HasSuffix(text, "EOF")
}

// firstCause shortens an error chain to its innermost cause, which is
// usually the informative part ("connection refused", "no route").
func firstCause(text string) string {
	parts := strings.Split(text, ": ")
	last := strings.TrimSpace(parts[len(parts)-1])
	if len(parts) > 1 && len(last) < 12 { // "EOF", "reset": keep some context
		last = strings.Join(parts[len(parts)-2:], ": ")
	}
	if len(last) > 120 {
		last = last[:117] + "..."
	}
	return last
}
