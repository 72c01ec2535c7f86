package main

import (
	"strings"

	"github.com/actr-go/actr/internal/origin"
)

// originPatterns is a repeatable --allow-origin flag: each use (or each
// comma-separated item) adds a pattern.
type originPatterns []string

func (o *originPatterns) String() string { return strings.Join(*o, ",") }

func (o *originPatterns) Set(v string) error {
	var add []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			add = append(add, p)
		}
	}
	if err := origin.Validate(add); err != nil {
		return err
	}
	*o = append(*o, add...)
	return nil
}

func originFlagHelp(what string) string {
	return "admit browser pages of this origin `pattern` to " + what + ": host[:port] or scheme://host[:port], * and ? wildcards (e.g. 127.0.0.1:*, https://*.example.com); repeat or comma-separate; default: only the server's own origin"
}
