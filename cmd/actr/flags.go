package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// flags is a command's flag set with the options every command shares:
// logging and an optional configuration file.
type flags struct {
	*flag.FlagSet
	synopsis  string
	stdout    io.Writer // where --help prints: usage asked for is output
	stderr    io.Writer
	logLevel  string
	logFormat string
	config    string
}

func newFlags(name, synopsis string, stdout, stderr io.Writer) *flags {
	f := &flags{FlagSet: flag.NewFlagSet("actr "+name, flag.ContinueOnError), synopsis: synopsis, stdout: stdout, stderr: stderr}
	f.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&f.config, "config", "", "a JSON `file` of flag values, {\"flag-name\": value, ...}; flags on the command line win")
	return f
}

// parse parses args, then the configuration file. A bad command line is a
// usage error with one line of explanation; --help prints the flags on
// stdout (help asked for is the command's output, and exits 0).
func (f *flags) parse(args []string) error {
	f.SetOutput(io.Discard) // errors are reported once, by run
	err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		f.printUsage()
		return err
	}
	if err != nil {
		return usageError("%v (run with --help for the flags)", err)
	}
	if f.NArg() > 0 && !f.takesArgs() {
		return usageError("unexpected argument %q (run with --help for the flags)", f.Arg(0))
	}
	if f.config != "" {
		if err := f.applyConfig(f.config); err != nil {
			return usageError("%v", err)
		}
	}
	if _, err := f.logger(); err != nil {
		return usageError("%v", err)
	}
	return nil
}

// argsOK lists the commands that take positional arguments.
var argsOK = map[string]bool{"actr send": true}

func (f *flags) takesArgs() bool { return argsOK[f.Name()] }

func (f *flags) printUsage() {
	fmt.Fprintf(f.stdout, "Usage: %s\n\n", f.synopsis)
	f.SetOutput(f.stdout)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// applyConfig sets, from a JSON object of flag names to values, every
// flag not given on the command line.
func (f *flags) applyConfig(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the config file: %w", err)
	}
	var values map[string]any
	if err := json.Unmarshal(data, &values); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for name, v := range values {
		if f.Lookup(name) == nil || name == "config" {
			return fmt.Errorf("config file %s: %q is not a flag of %s", path, name, f.Name())
		}
		if set[name] {
			continue
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64, bool:
			s = fmt.Sprint(v)
		default:
			return fmt.Errorf("config file %s: %q must be a string, number or boolean", path, name)
		}
		if err := f.Set(name, s); err != nil {
			return fmt.Errorf("config file %s: %s: %w", path, name, err)
		}
	}
	return nil
}

// logger returns the logger the logging flags ask for, writing to stderr.
func (f *flags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(f.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(f.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(f.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", f.logFormat)
}
