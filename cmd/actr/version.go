package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("version", "actr version", stdout, stderr)
	if err := f.parse(args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, versionLine())
	return nil
}

// versionLine describes the build: the main module's path and version,
// the VCS revision and time (with "+dirty" for uncommitted changes) and
// the Go version. A binary built outside a module or a VCS checkout says
// what it does not know.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "actr (no build information: built without module support)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(unknown)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	line := fmt.Sprintf("actr %s %s", bi.Main.Path, version)
	if rev != "" {
		line += fmt.Sprintf(" revision %s%s", rev, dirty)
		if at != "" {
			line += " (" + at + ")"
		}
	} else {
		line += " revision unknown (not built from a VCS checkout, or with -buildvcs=false)"
	}
	return line + " " + bi.GoVersion
}
