// Package harness is what every Go program of `./goloom compare` shares: the command line of
// RunOne (the Java child), the sizes, the one-line JSON result and the latency histogram file.
//
// Command line (the same as RunOne's, plus echo's load-client command after "--"):
//
//	<program> --workload W --system go --procs P [--quick] [--test-size] --hlog FILE [-- CLIENT...]
//
// stdout, one line: {"workload":W,"system":"go","procs":P,"metric":"ns/op","value":123.4,
// "go":"go1.19.8","latency_count":N,"extras":{}}
//
// GOMAXPROCS comes from the environment (compare sets GOMAXPROCS=P); a program whose
// GOMAXPROCS is not P refuses to measure, as RunOne refuses a virtual-thread JVM whose
// parallelism is not P. Exit status 0 on success, 1 when the workload failed, 2 for bad
// arguments.
package harness

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Size is RunOne's size: FULL (the published run), QUICK (--quick), TEST (--test-size).
type Size int

const (
	Full Size = iota
	Quick
	Test
)

// Pick returns the count for this size.
func (s Size) Pick(full, quick, test int) int {
	switch s {
	case Quick:
		return quick
	case Test:
		return test
	}
	return full
}

// Args is the parsed command line.
type Args struct {
	Workload string
	Procs    int
	Size     Size
	Hlog     string
	// Client is everything after "--" (echo: the load client's command line).
	Client []string
}

// Parse reads os.Args for a program that runs the workloads named (one program may serve
// several, e.g. both sleep-lateness sizes); a bad command line, or another workload, exits
// with status 2 and says why.
func Parse(workloads ...string) Args {
	a, err := ParseArgs(os.Args[1:])
	if err == nil && !contains(workloads, a.Workload) {
		err = fmt.Errorf("this program runs %s, not %s", strings.Join(workloads, " and "), a.Workload)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[0], err)
		os.Exit(2)
	}
	if got := runtime.GOMAXPROCS(0); got != a.Procs {
		Fail(fmt.Errorf("GOMAXPROCS=%d must be in the environment (found GOMAXPROCS %d)", a.Procs, got))
	}
	return a
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// ParseArgs parses RunOne's command line.
func ParseArgs(args []string) (Args, error) {
	a := Args{}
	system := ""
	for i := 0; i < len(args); i++ {
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", args[i])
			}
			i++
			return args[i], nil
		}
		var err error
		switch args[i] {
		case "--workload":
			a.Workload, err = next()
		case "--system":
			system, err = next()
		case "--procs":
			var v string
			if v, err = next(); err == nil {
				a.Procs, err = strconv.Atoi(v)
			}
		case "--quick":
			if a.Size != Test {
				a.Size = Quick
			}
		case "--test-size":
			a.Size = Test
		case "--hlog":
			a.Hlog, err = next()
		case "--":
			a.Client = args[i+1:]
			i = len(args)
		default:
			err = fmt.Errorf("unknown argument %s", args[i])
		}
		if err != nil {
			return a, err
		}
	}
	if a.Workload == "" || system != "go" || a.Procs < 1 || a.Hlog == "" {
		return a, fmt.Errorf("need --workload, --system go, --procs >= 1 and --hlog")
	}
	return a, nil
}

// Fail reports a failed run on stderr and exits with status 1.
func Fail(err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[0], err)
	os.Exit(1)
}

// Result prints the one JSON line and, when h is not nil, writes the histogram to a.Hlog.
// metric is the unit as RunOne writes it (ns/op, ops/s, ms, bytes).
func Result(a Args, metric string, value float64, h *Histogram, start, end time.Time) {
	if value != value || value > 1e300 || value < -1e300 {
		Fail(fmt.Errorf("%s returned %v", a.Workload, value))
	}
	var count int64
	if h != nil {
		count = h.TotalCount()
		if err := h.WriteFile(a.Hlog, start, end); err != nil {
			Fail(err)
		}
	}
	ResultWithCount(a, metric, value, count)
}

// ResultWithCount prints the JSON line of a run whose histogram file is already written
// (count: its values; -1 when the program does not know, e.g. a histogram passed through).
func ResultWithCount(a Args, metric string, value float64, count int64) {
	if value != value || value > 1e300 || value < -1e300 {
		Fail(fmt.Errorf("%s returned %v", a.Workload, value))
	}
	fmt.Printf("{\"workload\":%s,\"system\":\"go\",\"procs\":%d,\"metric\":%s,\"value\":%s,\"go\":%s,"+
		"\"latency_count\":%d,\"extras\":{}}\n", quote(a.Workload), a.Procs, quote(metric),
		strconv.FormatFloat(value, 'f', -1, 64), quote(runtime.Version()), count)
}

// quote is a JSON string for the plain ASCII names these programs print.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var epoch = time.Now()

// Nanotime is the monotonic clock in nanoseconds (System.nanoTime's counterpart).
func Nanotime() int64 {
	return int64(time.Since(epoch))
}
