package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// envServer names the peer whose server a child process runs.
const envServer = "ACTR_PEERS_SERVER"

// child is a server process: this binary re-executed with envServer set.
type child struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string   // stdout, line by line; closed at EOF
	done  chan struct{} // closed when the process has exited
	info  []string      // the fields of its "ready" line after "ready"

	mu sync.Mutex // one call at a time
}

// startChild starts the server of peer name with the extra environment
// env and waits for it to report ready.
func startChild(name string, env []string) (_ *child, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), envServer+"="+name), env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// A pipe of our own rather than StdoutPipe, so that the waiter below
	// never closes it under the reader.
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		_ = pr.Close()
		_ = pw.Close()
		return nil, err
	}
	_ = pw.Close()
	c := &child{name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 16), done: make(chan struct{})}
	go func() { // owns pr; ends at the child's EOF
		defer close(c.lines)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	go func() { // the only Wait
		_ = cmd.Wait()
		close(c.done)
	}()
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	line, err := c.read(60 * time.Second)
	if err != nil {
		return nil, fmt.Errorf("%s server: %w", name, err)
	}
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != "ready" {
		return nil, fmt.Errorf("%s server: %q, want ready", name, line)
	}
	c.info = f[1:]
	return c, nil
}

func (c *child) read(timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l, ok := <-c.lines:
		if !ok {
			return "", errors.New("the server process exited")
		}
		return l, nil
	case <-t.C:
		return "", fmt.Errorf("no answer within %s", timeout)
	}
}

// call sends one command line and returns the fields of the answer.
func (c *child) call(cmd string, timeout time.Duration) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.stdin, cmd+"\n"); err != nil {
		return nil, fmt.Errorf("%s server: %w", c.name, err)
	}
	l, err := c.read(timeout)
	if err != nil {
		return nil, fmt.Errorf("%s server, %q: %w", c.name, cmd, err)
	}
	return strings.Fields(l), nil
}

// stop closes the child's stdin (it exits at EOF), and kills it if it has
// not exited within a few seconds.
func (c *child) stop() {
	_ = c.stdin.Close()
	t := time.NewTimer(3 * time.Second)
	defer t.Stop()
	select {
	case <-c.done:
		return
	case <-t.C:
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}
