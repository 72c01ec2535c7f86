package signaling

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/actr-go/actr/protocol"
)

// unconfirmedWindow is how long before its connection dropped a relay
// is reported as unconfirmed: the server forwards at once, so one written
// earlier has gone on (or been refused, which says so), and one written
// later may have died with the server.
const unconfirmedWindow = time.Second

// parseServers derives the endpoints of every server a client is given:
// url first, then urls, each once.
func parseServers(url string, urls []string) ([]endpoints, error) {
	var eps []endpoints
	seen := map[string]bool{}
	for _, u := range append([]string{url}, urls...) {
		if u == "" {
			continue
		}
		ep, err := parseEndpoints(u)
		if err != nil {
			return nil, err
		}
		if !seen[ep.socket] {
			seen[ep.socket] = true
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		return nil, errors.New("signaling: ClientConfig needs URL (or URLs)")
	}
	return eps, nil
}

// endpoint returns the URLs of the server in use.
func (c *Client) endpoint() endpoints {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eps[c.cur]
}

// Server returns the URL of the signaling socket of the server the
// client uses (or last used) now.
func (c *Client) Server() string { return c.endpoint().socket }

func (c *Client) use(i int) {
	c.mu.Lock()
	c.cur = i % len(c.eps)
	c.mu.Unlock()
}

// first registers with the first server that answers: one that cannot be
// reached or is unavailable (503, such as a server cut from its cluster)
// passes the turn to the next; a refusal any server would make (a wrong
// secret, a bad request) ends it.
func (c *Client) first(ctx context.Context) (*clientConn, error) {
	var errs []error
	for i := range c.eps {
		c.use(i)
		cc, err := c.resume(ctx)
		if err == nil {
			return cc, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil || !worthAnother(err) {
			break
		}
		c.log.Info("signaling: server unavailable; trying the next", "server", c.eps[i].socket, "err", err)
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("signaling: none of %d servers admitted the actor: %w", len(errs), errors.Join(errs...))
}

// worthAnother reports whether another server of the cluster might admit
// what this one refused with err.
func worthAnother(err error) bool {
	var refused *ErrorResponseError
	if !errors.As(err, &refused) {
		return true // not reached, or no answer
	}
	return refused.Code >= 500
}

// reconnectRound tries each server once, starting with the one after the
// server just lost when there are several (a server that dropped its
// clients is the likeliest to be gone), and returns the first connection
// resumed.
func (c *Client) reconnectRound(start int) (*clientConn, error) {
	var err error
	for k := range c.eps {
		c.use(start + k)
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.CallTimeout)
		var cc *clientConn
		cc, err = c.resume(ctx)
		cancel()
		if err == nil {
			return cc, nil
		}
		if c.ctx.Err() != nil {
			return nil, err
		}
		c.log.Info("signaling: reconnect failed", "server", c.endpoint().socket, "err", err)
	}
	return nil, err
}

// reportUnconfirmed reports on Refusals, with CodeUnavailable, the relays
// written on cc in the unconfirmedWindow before it was lost at: whether
// the server forwarded them is unknown. None is sent again (a resent one
// could arrive twice); the sender's own retries, such as a WebRTC setup's,
// decide.
func (c *Client) reportUnconfirmed(cc *clientConn, at time.Time) {
	var lost []protocol.ActorID
	c.relayMu.Lock()
	for id, r := range c.relaysSent {
		if r.conn == cc && !r.at.Before(at.Add(-unconfirmedWindow)) {
			lost = append(lost, r.target)
			delete(c.relaysSent, id)
		}
	}
	c.relayMu.Unlock()
	for _, t := range lost {
		c.unconfirmed.Add(1)
		select {
		case c.refusals <- RelayRefusal{Target: t, Err: &ErrorResponseError{Code: CodeUnavailable,
			Message: "the connection to the signaling server was lost just after this relay was written; it may not have been delivered"}}:
		default:
			c.dropped.Add(1)
		}
	}
}

// Unconfirmed counts the relays reported on Refusals because their
// connection was lost before they could be confirmed.
func (c *Client) Unconfirmed() uint64 { return c.unconfirmed.Load() }

// BaseURL returns the base URL (ws:// or wss://) of the server the client
// uses now: what FetchKeys takes.
func (c *Client) BaseURL() string {
	return strings.TrimSuffix(c.endpoint().socket, SocketPath) + "/"
}
