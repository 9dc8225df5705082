// echo: a TCP echo server on loopback, a goroutine per connection (net.Listen, Conn.Read/Write:
// Go's netpoller), the Go side of compare's `echo` (EchoWorkload), loaded by the same client
// process as the JVM servers. compare passes that client's command line after "--", with
// "{port}" where the server's port goes; this program starts the server, runs the client,
// and reports the client's "RESULT <requests/s> <histogram>" line: the value in ops/s, and
// the histogram (a compressed Java HdrHistogram in Base64, in ns) as it is. Linux only
// (the client dies with this program: Pdeathsig).
package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"goloom.io/bench/go/internal/harness"
)

// serve accepts until ln is closed; one goroutine per connection echoes until the client closes.
func serve(ln net.Listener, conns *sync.WaitGroup) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer c.Close()
			c.(*net.TCPConn).SetNoDelay(true)
			buf := make([]byte, 16*1024)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return // EOF: the client went away
				}
			}
		}()
	}
}

func main() {
	a := harness.Parse("echo")
	if len(a.Client) == 0 {
		harness.Fail(fmt.Errorf("echo needs the load client's command after --"))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		harness.Fail(err)
	}
	var conns sync.WaitGroup
	go serve(ln, &conns)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	argv := make([]string, len(a.Client))
	for i, s := range a.Client {
		argv[i] = strings.ReplaceAll(s, "{port}", port)
	}
	limit := time.Duration(a.Size.Pick(300, 150, 100)) * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	runtime.LockOSThread() // Pdeathsig fires when the thread that started the child exits
	err = cmd.Run()
	end := time.Now()
	if err != nil {
		harness.Fail(fmt.Errorf("echo client failed (%v):\n%s", err, out.String()))
	}
	ln.Close() // the acceptor returns; the handlers end on their clients' EOF
	done := make(chan struct{})
	go func() { conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "RESULT ") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			harness.Fail(fmt.Errorf("bad RESULT line from the echo client: %s", line))
		}
		rps, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			harness.Fail(fmt.Errorf("bad RESULT line from the echo client: %s", line))
		}
		if err := harness.WriteHdrBase64(a.Hlog, f[2], start, end); err != nil {
			harness.Fail(err)
		}
		harness.ResultWithCount(a, "ops/s", rps, -1)
		os.Exit(0)
	}
	harness.Fail(fmt.Errorf("echo client printed no RESULT line:\n%s", out.String()))
}
