package linalg

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestABTmp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, batch := 5, 20000
	ag, b := randMats(rng, "general", n, batch), randVec(rng, batch*n)
	aw := randMats(rng, "wellcond", n, batch)
	x := make([]float64, batch*n)
	var ta, tb []float64
	for r := 0; r < 200; r++ {
		for _, v := range []bool{false, true} {
			a := ag
			if v {
				a = aw
			}
			s := time.Now()
			Solve(a, b, x, n, 1, batch)
			d := time.Since(s).Seconds() * 1e9 / float64(batch)
			if v {
				tb = append(tb, d)
			} else {
				ta = append(ta, d)
			}
		}
	}
	sort.Float64s(ta)
	sort.Float64s(tb)
	t.Logf("general: min %.1f med %.1f ns/system; wellcond: min %.1f med %.1f", ta[0], ta[100], tb[0], tb[100])
}
