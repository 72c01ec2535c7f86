package signaling

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// TURNConfig is what the signaling server tells actors of the STUN and
// TURN servers: the shared secret their credentials are minted with
// (auth.NewTURNCredential, checked by package turnserver), and the URLs
// to reach them, sent in RegisterOk.ice_urls. A credential expires with
// the actor's credential and is renewed with it.
type TURNConfig struct {
	// Secret is the TURN REST secret (at least 16 bytes); nil: no TURN
	// server, and turn_credential has an empty password.
	Secret []byte
	// URLs are "stun:", "turn:" and "turns:" URLs (at most 8).
	URLs []string
}

// ErrBadICEURL is returned for a TURNConfig URL that is not a STUN or
// TURN URL.
var ErrBadICEURL = errors.New("signaling: not a STUN or TURN URL")

const maxICEURLs = 8

func (c *TURNConfig) check() error {
	if len(c.Secret) > 0 && len(c.Secret) < 16 {
		return fmt.Errorf("signaling: the TURN secret is %d bytes: use at least 16 random bytes", len(c.Secret))
	}
	if len(c.URLs) > maxICEURLs {
		return fmt.Errorf("signaling: %d ICE server URLs, at most %d", len(c.URLs), maxICEURLs)
	}
	for _, u := range c.URLs {
		if err := CheckICEURL(u); err != nil {
			return err
		}
	}
	return nil
}

// CheckICEURL checks that u is a stun:, stuns:, turn: or turns: URL with
// a host (RFC 7064, 7065), at most 256 bytes.
func CheckICEURL(u string) error {
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || len(u) > 256 {
		return fmt.Errorf("%w: %q (want e.g. turn:turn.example.com:3478?transport=udp)", ErrBadICEURL, u)
	}
	switch scheme {
	case "stun", "stuns", "turn", "turns":
	default:
		return fmt.Errorf("%w: %q has scheme %q (want stun, stuns, turn or turns)", ErrBadICEURL, u, scheme)
	}
	hostport, query, _ := strings.Cut(rest, "?")
	if hostport == "" || strings.ContainsAny(hostport, "/@ ") {
		return fmt.Errorf("%w: %q names no host", ErrBadICEURL, u)
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil || (q.Get("transport") != "udp" && q.Get("transport") != "tcp") || len(q) != 1 {
			return fmt.Errorf("%w: %q: the only query is transport=udp or transport=tcp", ErrBadICEURL, u)
		}
	}
	return nil
}
