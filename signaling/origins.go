package signaling

import (
	"net/http"

	"github.com/actr-go/actr/internal/origin"
)

// Browser pages: a page's requests carry its Origin. The socket and the
// HTTP endpoints admit a page of the server's own origin, or of one
// ServerConfig.AllowedOrigins admits; any other is refused with 403 and
// counted (RefusedOrigin) before the server reads anything else of the
// request. An admitted page's HTTP requests get CORS headers, and its
// preflights are answered here.

// corsHeaders are the request headers a page may send to registration
// and renewal.
var corsHeaders = []string{"Content-Type", HeaderRealmSecret, HeaderActrixRealmSecret, HeaderJoinToken}

// originAllowed checks r's Origin; false: refused, answered and counted.
// An admitted preflight is answered too (false: nothing more to do).
func (s *Server) originAllowed(w http.ResponseWriter, r *http.Request) bool {
	if err := origin.Check(r, s.cfg.AllowedOrigins); err != nil {
		s.counters.refuse(RefusedOrigin)
		s.log.Info("refused a browser page's request", "remote_addr", r.RemoteAddr, "err", err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return false
	}
	if isRegisterPath(r.URL.Path) || isRenewPath(r.URL.Path) {
		if origin.CORS(w, r, []string{http.MethodPost}, corsHeaders) {
			return false
		}
	}
	return true
}
