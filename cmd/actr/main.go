// Command actr runs the actr transport: a one-command demo, a standalone
// signaling server, long-running nodes, one-shot sends and benchmarks.
//
//	actr demo                      # everything in one process, on loopback
//	actr signal --listen :7000     # a signaling server
//	actr node --signal ws://127.0.0.1:7000/ --ws-listen 127.0.0.1:9001
//	actr send --signal ws://127.0.0.1:7000/ --to acme:echo@1.42 "hello"
//
// Run "actr <command> --help" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"demo", "run two nodes and a signaling server in this process and show them at work", runDemo},
	{"signal", "run a standalone signaling server", runSignal},
	{"turn", "run a standalone STUN and TURN server (for actr signal --turn-url)", runTurn},
	{"node", "run a long-running actor that answers messages", runNode},
	{"send", "send one message to an actor and print the reply", runSend},
	{"join-token", "print a short-lived token admitting registrations into a secret realm without its secret", runJoinToken},
	{"bench", "measure round-trip throughput and latency, against a node or an embedded pair", runBench},
	{"version", "print the module version and the VCS revision this binary was built from", runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// run runs the command line args and returns the process's exit code:
// 0 on success, 2 for a usage error, 1 for anything else, with a single
// line on stderr saying what went wrong.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 { // a bad command line: the usage is the error
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" { // asked for: output
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		}
		fmt.Fprintf(stderr, "actr %s: %v\n", c.name, err)
		if ee, ok := errors.AsType[*exitError](err); ok {
			return ee.code
		}
		return 1
	}
	fmt.Fprintf(stderr, "actr: unknown command %q (run \"actr --help\" for the list)\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "actr: the actr transport runtime")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: actr <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"actr <command> --help\" for a command's flags.")
}

// usageError marks a bad command line (exit code 2).
func usageError(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}
