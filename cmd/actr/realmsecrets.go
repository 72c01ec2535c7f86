package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/actr-go/actr/signaling"
)

// realmPolicies turns --policy, the secret (file content or
// ACTR_REALM_SECRET) and --secret-realms into the server's per-realm
// policies. With --policy secret a realm is admitted only by its own
// secret: the secret holds "realm=secret" lines, one per realm, or is a
// single plain secret that admits only the realms --secret-realms lists.
// Realms named nowhere refuse registration.
func realmPolicies(policy, secret, secretRealms string) (map[uint32]signaling.RegistrationPolicy, signaling.RegistrationPolicy, error) {
	var none signaling.RegistrationPolicy
	switch policy {
	case "open":
		return nil, signaling.RegistrationPolicy{Open: true}, nil
	case "secret":
	default:
		return nil, none, usageError("--policy %q: want open or secret", policy)
	}
	secrets, err := parseRealmSecrets(secret)
	if err != nil {
		return nil, none, err
	}
	realms := map[uint32]signaling.RegistrationPolicy{}
	if plain, ok := secrets[plainSecret]; ok {
		list, err := parseRealmList(secretRealms)
		if err != nil {
			return nil, none, err
		}
		for _, r := range list {
			realms[r] = signaling.RegistrationPolicy{Secret: plain}
		}
		return realms, none, nil
	}
	for r, s := range secrets {
		realms[uint32(r)] = signaling.RegistrationPolicy{Secret: s}
	}
	return realms, none, nil
}

// plainSecret is the key parseRealmSecrets files a plain secret under: no
// realm id is negative.
const plainSecret = -1

// parseRealmSecrets reads "realm=secret" lines (blank lines and lines
// starting with # ignored), or one line holding a plain secret. A line is
// a realm's when what precedes its first "=" is a realm number, so plain
// secrets may contain "=" (base64 padding).
func parseRealmSecrets(content string) (map[int64]string, error) {
	out := map[int64]string{}
	var lines []string
	for l := range strings.Lines(content) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("the realm secret is empty")
	}
	for i, l := range lines {
		id, secret, ok := strings.Cut(l, "=")
		realm, err := strconv.ParseUint(strings.TrimSpace(id), 10, 32)
		if !ok || err != nil {
			if len(lines) == 1 {
				out[plainSecret] = l
				return out, nil
			}
			return nil, fmt.Errorf("realm secrets, line %d: want realm=secret (one realm per line), or a file holding one plain secret", i+1)
		}
		secret = strings.TrimSpace(secret)
		if secret == "" {
			return nil, fmt.Errorf("realm secrets, line %d: realm %d has an empty secret", i+1, realm)
		}
		if _, dup := out[int64(realm)]; dup {
			return nil, fmt.Errorf("realm secrets, line %d: realm %d is listed twice", i+1, realm)
		}
		out[int64(realm)] = secret
	}
	return out, nil
}

// secretForRealm picks what a node presents from the secret it was given:
// the file the signaling server reads may serve a node too, so a file of
// realm=secret lines yields realm's line, and a plain secret itself.
func secretForRealm(secret string, realm uint32) (string, error) {
	if secret == "" {
		return "", nil
	}
	secrets, err := parseRealmSecrets(secret)
	if err != nil {
		return "", err
	}
	if plain, ok := secrets[plainSecret]; ok {
		return plain, nil
	}
	s, ok := secrets[int64(realm)]
	if !ok {
		return "", usageError("the realm secrets hold no line for realm %d (--realm): add %d=<secret>, or give the node its realm's secret alone", realm, realm)
	}
	return s, nil
}

// parseRealmList parses --secret-realms: comma-separated realm ids.
func parseRealmList(s string) ([]uint32, error) {
	var out []uint32
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		r, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			return nil, usageError("--secret-realms %q: want comma-separated realm numbers", s)
		}
		out = append(out, uint32(r))
	}
	if len(out) == 0 {
		return nil, usageError("--secret-realms is empty: name the realms a plain secret admits, or write realm=secret lines")
	}
	return out, nil
}
