package node

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/signaling"
)

// defaultKeyRefresh is how often a gate asks its signaling server for
// signing keys it does not know yet.
const defaultKeyRefresh = 30 * time.Second

// fetchKeys gets the signing keys from the first configured server that
// answers.
func (n *Node) fetchKeys(ctx context.Context) (keys map[uint32]ed25519.PublicKey, err error) {
	for _, u := range n.cfg.signalingURLs() {
		if keys, err = signaling.FetchKeys(ctx, u, n.client); err == nil {
			return keys, nil
		}
	}
	return nil, err
}

// refreshKeys adds to the gate's verifier the signing keys of servers
// that joined the cluster since the node started (a credential they
// issued would be refused until then), asking the server the node uses
// now. It only adds: a key id already trusted keeps its key, so that an
// answer from a server on a hostile path cannot replace one.
func (n *Node) refreshKeys(ctx context.Context, v *auth.Verifier, known map[uint32]bool) {
	t := time.NewTicker(n.cfg.KeyRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		keys, err := signaling.FetchKeys(fctx, n.sig.BaseURL(), n.client)
		cancel()
		if err != nil {
			n.cfg.Logger.Debug("node: refreshing the signing keys", "err", err)
			continue
		}
		for id, k := range keys {
			if known[id] {
				continue
			}
			if err := v.AddKey(id, k); err == nil {
				known[id] = true
				n.cfg.Logger.Info("node: the gate trusts a new signing key", "key_id", id)
			}
		}
	}
}
