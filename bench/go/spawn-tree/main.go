// spawn-tree: a tree of goroutines, the Go side of compare's `spawn-tree` (SpawnTreeWorkload).
// Every inner node starts 10 children and sums their values, received over an unbuffered
// channel of its own; a leaf sends 1, an inner node 1 + the sum of its children: the root
// receives the number of nodes. Depth 6 = 1,111,111 goroutines (quick: depth 5, 111,111).
// One untimed tree, then 3 timed; ms = timed wall time / timed trees.
package main

import (
	"fmt"
	"time"

	"goloom.io/bench/go/internal/harness"
)

const fanout = 10

func node(depth int, out chan<- int64) {
	if depth == 0 {
		out <- 1
		return
	}
	c := make(chan int64)
	for i := 0; i < fanout; i++ {
		go node(depth-1, c)
	}
	sum := int64(1)
	for i := 0; i < fanout; i++ {
		sum += <-c
	}
	out <- sum
}

// tree runs one tree from a new root goroutine; fails unless it counted every node.
func tree(depth int) {
	root := make(chan int64)
	go node(depth, root)
	got := <-root
	want := int64(0)
	for i, w := 0, int64(1); i <= depth; i, w = i+1, w*fanout {
		want += w
	}
	if got != want {
		harness.Fail(fmt.Errorf("spawn-tree: the root counted %d nodes, want %d", got, want))
	}
}

func main() {
	a := harness.Parse("spawn-tree")
	depth := a.Size.Pick(6, 5, 3)
	trees := a.Size.Pick(3, 3, 1)
	start := time.Now()
	tree(depth) // warm-up
	t0 := harness.Nanotime()
	for i := 0; i < trees; i++ {
		tree(depth)
	}
	ms := float64(harness.Nanotime()-t0) / float64(trees) / 1e6
	harness.Result(a, "ms", ms, nil, start, time.Now())
}
