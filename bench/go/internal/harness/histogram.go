package harness

import (
	"bufio"
	"fmt"
	"math/bits"
	"os"
	"sync/atomic"
	"time"
)

// Histogram counts nanosecond values in exactly the buckets of a Java
// org.HdrHistogram.Histogram with 3 significant digits and a lowest discernible value of 1:
// values below 2048 are exact; above, each power-of-two range [2^k, 2^(k+1)) has 1024
// buckets of width 2^(k-10). compare reads the file this writes and records each bucket's
// lowest value with its count into such a Histogram, which then holds what recording every
// raw value would have produced: the same percentiles, the same .hlog, the same merges.
type Histogram struct {
	counts []int64
}

const (
	subBuckets     = 2048 // 2^ceil(log2(2 * 10^3)): HdrHistogram's sub-bucket count for 3 digits
	halfSubBuckets = subBuckets / 2
	subBucketBits  = 11
	// buckets covers every int64: 2048 exact values, then 1024 per power of two from 2^11 to 2^62.
	buckets = subBuckets + (63-subBucketBits)*halfSubBuckets
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]int64, buckets)}
}

// index is the bucket of v >= 0.
func index(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	k := bits.Len64(uint64(v)) // 12.. 63
	shift := k - subBucketBits // width of a bucket: 2^shift
	return subBuckets + (shift-1)*halfSubBuckets + int(v>>shift) - halfSubBuckets
}

// lowest is the smallest value of bucket i (the inverse of index).
func lowest(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	j := i - subBuckets
	shift := j/halfSubBuckets + 1
	return int64(j%halfSubBuckets+halfSubBuckets) << shift
}

// Record counts one value; negative values (clock noise) count as 0. For one goroutine at a time.
func (h *Histogram) Record(ns int64) {
	if ns < 0 {
		ns = 0
	}
	h.counts[index(ns)]++
}

// RecordAtomic counts one value from any goroutine (ConcurrentHistogram's counterpart).
func (h *Histogram) RecordAtomic(ns int64) {
	if ns < 0 {
		ns = 0
	}
	atomic.AddInt64(&h.counts[index(ns)], 1)
}

// Add adds o's counts to h. Call after o's writers are done (a WaitGroup orders them).
func (h *Histogram) Add(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// TotalCount is the number of recorded values.
func (h *Histogram) TotalCount() int64 {
	var n int64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// FileHeader is the first line of the histogram file.
const FileHeader = "#goloom-go-histogram 1"

// WriteFile writes the histogram for compare:
//
//	#goloom-go-histogram 1
//	start <unix ms> end <unix ms>
//	<bucket's lowest value in ns> <count>     one line per non-empty bucket, ascending
func (h *Histogram) WriteFile(path string, start, end time.Time) error {
	return writeFile(path, start, end, func(w *bufio.Writer) {
		for i, c := range h.counts {
			if c != 0 {
				fmt.Fprintf(w, "%d %d\n", lowest(i), c)
			}
		}
	})
}

// WriteHdrBase64 writes, instead of buckets, one line "hdr <base64>": a histogram that is
// already a compressed Java HdrHistogram (echo's load client prints its histogram that way).
func WriteHdrBase64(path, b64 string, start, end time.Time) error {
	return writeFile(path, start, end, func(w *bufio.Writer) {
		fmt.Fprintf(w, "hdr %s\n", b64)
	})
}

func writeFile(path string, start, end time.Time, body func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "%s\nstart %d end %d\n", FileHeader, start.UnixMilli(), end.UnixMilli())
	body(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
