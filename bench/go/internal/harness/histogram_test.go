package harness

import "testing"

// Every bucket's lowest value maps back to it, and every value lands in the bucket whose
// range holds it, with HdrHistogram's 3-digit widths.
func TestBuckets(t *testing.T) {
	for i := 0; i < buckets; i++ {
		if got := index(lowest(i)); got != i {
			t.Fatalf("index(lowest(%d)=%d) = %d", i, lowest(i), got)
		}
	}
	for _, v := range []int64{0, 1, 2047, 2048, 2049, 4095, 4096, 1 << 20, 1<<20 + 1023, 1<<62 + 5, 1<<63 - 1} {
		lo := lowest(index(v))
		width := int64(1)
		if v >= subBuckets {
			width = int64(1) << (bitsLen(v) - subBucketBits)
		}
		if v < lo || v-lo >= width {
			t.Fatalf("%d in bucket [%d, %d)", v, lo, lo+width)
		}
	}
}

func bitsLen(v int64) int {
	n := 0
	for ; v != 0; v >>= 1 {
		n++
	}
	return n
}

// The first lengths of new SplittableRandom(42).nextInt(1, 101), printed by JDK 25.
func TestSplittableRandom(t *testing.T) {
	want := []int32{32, 57, 82, 73, 82, 72, 57, 20, 29, 7, 46, 52, 72, 47, 29, 54, 89, 50, 49, 61}
	r := NewSplittableRandom(42)
	for i, w := range want {
		if got := r.NextInt(1, 101); got != w {
			t.Fatalf("value %d: got %d, want %d", i, got, w)
		}
	}
}
