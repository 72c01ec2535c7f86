package origin

import (
	"net/http"
	"strings"
)

// CORS answers a browser's cross-origin request to an HTTP endpoint
// (registration, renewal) whose Origin Check admitted: it sets the
// Access-Control headers on w, and for a preflight (OPTIONS with
// Access-Control-Request-Method) writes the answer and returns true: the
// caller is then done. methods and headers are what the endpoint takes.
func CORS(w http.ResponseWriter, r *http.Request, methods, headers []string) (done bool) {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", o)
	h.Add("Vary", "Origin")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
		h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}
