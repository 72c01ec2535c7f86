package main

import "syscall"

// childAttr kills a server process if the benchmark dies without stopping it.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
