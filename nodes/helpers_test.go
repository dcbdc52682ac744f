package nodes_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
)

// evalRef evaluates top-level outputs with the reference rules (graph.Interpret),
// feeding inputs from feeds. It fails the test on a build or run error.
func evalRef(t *testing.T, feeds map[*graph.Node]*tensor.Dense, outs ...*graph.Node) []*tensor.Dense {
	t.Helper()
	require.NoError(t, outs[0].Graph().Err())
	got, err := tryEval(feeds, outs...)
	require.NoError(t, err)
	return got
}

// tryEval is evalRef returning the run error instead of failing.
func tryEval(feeds map[*graph.Node]*tensor.Dense, outs ...*graph.Node) ([]*tensor.Dense, error) {
	env := map[*graph.Node]*tensor.Dense{}
	for n, v := range feeds {
		env[n] = v
	}
	if err := graph.Interpret(graph.Needed(outs), env); err != nil {
		return nil, err
	}
	res := make([]*tensor.Dense, len(outs))
	for k, o := range outs {
		res[k] = env[o]
	}
	return res, nil
}

func f64s(shape []int, data ...float64) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

func f32s(shape []int, data ...float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

func i64s(shape []int, data ...int64) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}
