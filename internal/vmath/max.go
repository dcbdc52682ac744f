package vmath

import "math"

// Max32 is the largest element of src (-Inf for none). NaNs are not
// guaranteed to propagate — callers that must see them check separately
// (softmax does, through its sum).
func Max32(src []float32) float32 {
	if useAVX2 {
		return reduceMax32AVX2(src)
	}
	mx := float32(math.Inf(-1))
	for _, v := range src {
		if v > mx {
			mx = v
		}
	}
	return mx
}
