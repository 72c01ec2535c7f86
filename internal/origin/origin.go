// Package origin decides whether a browser page may open a WebSocket or
// post to a server: the same rule coder/websocket's Accept applies with
// AcceptOptions.OriginPatterns, checked by us first so that a refusal is
// counted and answered with a message that says what to configure.
package origin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// ErrRefused is the error of an Origin no pattern admits.
var ErrRefused = errors.New("origin not allowed")

// Check admits r when it has no Origin header (not a browser), when its
// Origin's host is the request's Host (same origin), or when a pattern
// matches: a pattern without "://" is matched (path.Match, case-folded)
// against the Origin's host[:port], one with "://" against
// scheme://host[:port]. "*" admits every origin.
func Check(r *http.Request, patterns []string) error {
	o := r.Header.Get("Origin")
	if o == "" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		if o == "null" && matches(patterns, "null", "null") {
			return nil
		}
		return fmt.Errorf("%w: Origin %q is not a URL with a host", ErrRefused, truncate(o))
	}
	if strings.EqualFold(r.Host, u.Host) {
		return nil
	}
	if matches(patterns, u.Host, u.Scheme+"://"+u.Host) {
		return nil
	}
	return fmt.Errorf("%w: the page's origin %q may not connect to %q (the operator can allow it: --allow-origin %s)", ErrRefused, truncate(o), truncate(r.Host), truncate(u.Host))
}

func matches(patterns []string, host, full string) bool {
	for _, p := range patterns {
		target := host
		if strings.Contains(p, "://") {
			target = full
		}
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(target)); err == nil && ok {
			return true
		}
	}
	return false
}

// Validate reports the first malformed pattern, so that a bad
// --allow-origin fails at start, not at the first browser.
func Validate(patterns []string) error {
	for _, p := range patterns {
		if p == "" {
			return errors.New("an empty origin pattern: give host[:port] or scheme://host[:port], with * and ? wildcards")
		}
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("origin pattern %q: %w", p, err)
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
