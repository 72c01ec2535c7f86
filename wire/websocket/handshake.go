package websocket

import "net/http"

// Browsers cannot set headers on a WebSocket handshake, so a gate also
// reads the caller's identity, target, credential and proof from the URL
// query (ours; actr's gates read headers only). Each query parameter
// carries exactly what its header would: ?source_id=<X-Actr-Source-ID>
// &target_id=<X-Actr-Target-ID>&credential=<X-Actr-Credential>
// &proof=<X-Actr-Proof>, form-encoded. A header, when present, wins over
// its parameter. A query is seen by whatever logs URLs (proxies, access
// logs): a gate admitting only holder-bound credentials with single-use
// proofs, the default, makes a logged credential useless.
const (
	QuerySourceID   = "source_id"
	QueryTargetID   = "target_id"
	QueryCredential = "credential"
	QueryProof      = "proof"
)

// handshakeValue is the header h of r, or else the query parameter q
// (the first, if repeated).
func handshakeValue(r *http.Request, h, q string) string {
	if v := r.Header.Get(h); v != "" {
		return v
	}
	return r.URL.Query().Get(q)
}
