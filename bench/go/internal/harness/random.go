package harness

// SplittableRandom is java.util.SplittableRandom's sequence (JDK 17+): the sleep-lateness
// programs draw exactly the sleep lengths the Java workload draws from new SplittableRandom(42).
type SplittableRandom struct {
	seed uint64
}

const goldenGamma = 0x9e3779b97f4a7c15

// NewSplittableRandom is new SplittableRandom(seed).
func NewSplittableRandom(seed int64) *SplittableRandom {
	return &SplittableRandom{seed: uint64(seed)}
}

func (r *SplittableRandom) nextInt() int32 {
	r.seed += goldenGamma
	z := r.seed
	z = (z ^ (z >> 33)) * 0x62a9d9ed799705f5
	return int32(((z ^ (z >> 28)) * 0xcb24d0a5c88c35b3) >> 32)
}

// NextInt is nextInt(origin, bound): RandomSupport.boundedNextInt for origin < bound.
func (r *SplittableRandom) NextInt(origin, bound int32) int32 {
	x := r.nextInt()
	n := bound - origin
	m := n - 1
	if n&m == 0 {
		return x&m + origin
	}
	// for (int u = r >>> 1; u + m - (r = u % n) < 0; u = rng.nextInt() >>> 1);  (int overflow wanted)
	u := int32(uint32(x) >> 1)
	for {
		x = u % n
		if u+m-x >= 0 {
			break
		}
		u = int32(uint32(r.nextInt()) >> 1)
	}
	return x + origin
}
