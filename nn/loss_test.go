package nn_test

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nn"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/vmap"
)

func TestLosses(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			const b, c = 5, 4
			r := rand.New(rand.NewPCG(13, 14))
			g := graph.New()
			logits, labels := g.Input("logits", dt, b, c), g.Input("labels", tensor.Int64, b)
			pred, target := g.Input("pred", dt, b, c), g.Input("target", dt, b, c)
			i := g.Axis("b", 0)
			one := nn.CrossEntropy(logits.At(0, graph.All), labels.At(0))
			ce := nodes.Mean(vmap.For(i).Do(func() *graph.Node {
				return nn.CrossEntropy(logits.At(i, graph.All), labels.At(i))
			}))
			mse := nn.MSE(pred, target)

			// Large logits: a log(softmax) written naively would overflow.
			lt, lv := randT(r, dt, b, c)
			for k := range lv {
				lv[k] *= 40
			}
			lt = dense.FromF64(dt, []int{b, c}, lv)
			lv = dense.F64(lt)
			lab := []int64{3, 0, 1, 3, 2}
			pt, pv := randT(r, dt, b, c)
			tt, tv := randT(r, dt, b, c)
			wantCE, wantMSE := 0.0, 0.0
			for k := 0; k < b; k++ {
				wantCE += pCrossEntropy(lv[k*c:(k+1)*c], int(lab[k])) / b
			}
			for k := range pv {
				wantMSE += (pv[k] - tv[k]) * (pv[k] - tv[k]) / float64(len(pv))
			}
			feeds := map[string]*tensor.Dense{"logits": lt, "labels": dense.FromI64([]int{b}, lab), "pred": pt, "target": tt}
			checkAll(t, dt, []*graph.Node{one, ce, mse}, feeds,
				[][]float64{{pCrossEntropy(lv[:c], int(lab[0]))}, {wantCE}, {wantMSE}})
		})
	}
}
