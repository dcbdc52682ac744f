package nodes_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

func TestUnaryBatch(t *testing.T) {
	kinds := []nodes.UnaryKind{nodes.UnNeg, nodes.UnExp, nodes.UnLog, nodes.UnSqrt, nodes.UnTanh,
		nodes.UnSigmoid, nodes.UnRelu, nodes.UnAbs, nodes.UnScale, nodes.UnOffset}
	for _, k := range kinds {
		build := func(x ...*graph.Node) *graph.Node { return graph.Apply(&nodes.Unary{Kind: k, C: 3}, x[0]) }
		dts := []tensor.Dtype{tensor.Float64, tensor.Float32}
		if k == nodes.UnNeg || k == nodes.UnRelu || k == nodes.UnAbs || k == nodes.UnScale || k == nodes.UnOffset {
			dts = append(dts, tensor.Int64)
		}
		pos := k == nodes.UnLog || k == nodes.UnSqrt
		for _, dt := range dts {
			for _, per := range [][]int{{2, 3}, {}, {3}} {
				t.Run(fmt.Sprintf("%v/%s/%v", k, graph.DTypeName(dt), per), func(t *testing.T) {
					for bd := 0; bd <= len(per); bd++ {
						checkBatch(t, build, []*tensor.Dense{bVal(dt, per, bd, 0.4, pos)}, []int{bd})
						names, obd := bTrace(t, build, []*tensor.Dense{bVal(dt, per, bd, 0.4, pos)}, []int{bd})
						assert.Equal(t, []string{k.String()}, names)
						assert.Equal(t, bd, obd)
					}
				})
			}
		}
	}
}

func TestCastBatch(t *testing.T) {
	for _, c := range [][2]tensor.Dtype{
		{tensor.Float64, tensor.Int64}, {tensor.Int64, tensor.Float32}, {tensor.Float32, tensor.Bool},
		{tensor.Bool, tensor.Float64}, {tensor.Float32, tensor.Float64}, {tensor.Int64, tensor.Int64},
	} {
		build := func(x ...*graph.Node) *graph.Node { return nodes.Cast(x[0], c[1]) }
		for _, per := range [][]int{{2, 3}, {}} {
			for bd := 0; bd <= len(per); bd++ {
				checkBatch(t, build, []*tensor.Dense{bVal(c[0], per, bd, 0.8, false)}, []int{bd})
				names, obd := bTrace(t, build, []*tensor.Dense{bVal(c[0], per, bd, 0.8, false)}, []int{bd})
				assert.Equal(t, []string{"Cast"}, names)
				assert.Equal(t, bd, obd)
			}
		}
	}
}
