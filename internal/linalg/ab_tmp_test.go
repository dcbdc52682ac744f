package linalg

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestABTmp(t *testing.T) {
	for _, n := range []int{3, 5, 8} {
		rng := rand.New(rand.NewPCG(1, 1))
		batch := 20000
		ag, b := randMats(rng, "general", n, batch), randVec(rng, batch*n)
		aw := randMats(rng, "wellcond", n, batch)
		x := make([]float64, batch*n)
		single := smallSolver[float64](n)
		pair := smallPair[float64](n)
		res := map[string][]float64{}
		for r := 0; r < 100; r++ {
			for _, kind := range []string{"general", "wellcond"} {
				a := ag
				if kind == "wellcond" {
					a = aw
				}
				s := time.Now()
				for i := 0; i < batch; i++ {
					single(a[i*n*n:], b[i*n:], x[i*n:])
				}
				res["single/"+kind] = append(res["single/"+kind], time.Since(s).Seconds()*1e9/float64(batch))
				s = time.Now()
				for i := 0; i < batch; i += 2 {
					pair(a[i*n*n:], b[i*n:], x[i*n:], a[(i+1)*n*n:], b[(i+1)*n:], x[(i+1)*n:])
				}
				res["pair/"+kind] = append(res["pair/"+kind], time.Since(s).Seconds()*1e9/float64(batch))
			}
		}
		for k, v := range res {
			sort.Float64s(v)
			t.Logf("n=%d %-20s min %.1f med %.1f ns/system", n, k, v[0], v[50])
		}
	}
}
