package exec

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
)

// cost estimates a node's floating-point operations and the fewest bytes it
// must move (read each operand once, write the result once); reshapes and
// inputs are free.
func cost(n *graph.Node) (flops, bytes int64) {
	t := n.Type()
	out := int64(t.Size())
	switch op := n.Op().(type) {
	case *graph.Input, *graph.Const, *graph.Param, *nodes.ReshapeOp, *nodes.RavelOp:
		return 0, 0
	case *nodes.BatchMatMulOp:
		a := n.Inputs()[0].Type()
		k := a.Shape[a.Rank()-1]
		if op.TransA {
			k = a.Shape[a.Rank()-2]
		}
		flops = 2 * out * int64(k)
	case *nodes.MatMulOp:
		a := n.Inputs()[0].Type()
		flops = 2 * max(out, 1) * int64(a.Shape[a.Rank()-1])
	case *nodes.SoftmaxOp:
		flops = 5 * out
	case *nodes.FusedOp:
		flops = exprFlops(&op.Expr)
	case *nodes.FusedMatMulOp:
		a := n.Inputs()[0].Type()
		k := a.Shape[a.Rank()-1]
		if mm, ok := op.MM.(*nodes.BatchMatMulOp); ok && mm.TransA {
			k = a.Shape[a.Rank()-2]
		}
		flops = 2*int64(graph.Of(t.DType, op.Epi.Shape).Size())*int64(k) + exprFlops(&op.Epi.Expr)
	case *nodes.SolveOp:
		a := n.Inputs()[0].Type()
		sz := int64(a.Shape[a.Rank()-1])
		flops = int64(a.Size()) / (sz * sz) * (2*sz*sz*sz/3 + 2*sz*sz)
	default:
		flops = out
		for _, x := range n.Inputs() {
			flops = max(flops, int64(x.Type().Size()))
		}
	}
	bytes = out * int64(t.DType.Size())
	for _, x := range n.Inputs() {
		xt := x.Type()
		bytes += int64(xt.Size()) * int64(xt.DType.Size())
	}
	return flops, bytes
}

// exprFlops counts one operation per element per instruction (loads and
// constants are free), and the tail's: one per element for a reduction, five
// for a softmax (max, subtract, exp, sum, scale).
func exprFlops(e *nodes.Expr) int64 {
	size := int64(graph.Of(tensor.Float32, e.Shape).Size())
	var f int64
	for _, ins := range e.Code {
		if ins.Kind != nodes.ILoad && ins.Kind != nodes.IConst {
			f += size
		}
	}
	switch e.Tail.Kind {
	case nodes.TailReduce:
		f += size
	case nodes.TailSoftmax:
		f += 5 * size
	}
	return f
}

// costTable lists the kernels a run executes with their estimates; a fused
// kernel shows the ops it computes in one pass and its expression.
func (p *Program) costTable() string {
	var b strings.Builder
	var tf, tb int64
	b.WriteString("kernels (estimated FLOPs / fewest bytes moved; fused kernels read each operand once and write once):\n")
	for _, n := range p.order {
		f, by := cost(n)
		if free(n) {
			continue
		}
		tf, tb = tf+f, tb+by
		what := ""
		if ops := fusedOf(n); len(ops) > 1 {
			what = strings.Join(ops, " → ")
		}
		fmt.Fprintf(&b, "  %%%-4d %-12s %-24s %11s %10s  %s\n", n.ID(), n.Op().Name(), p.typeOf(n), human(f, "FLOP"), human(by, "B"), what)
		switch op := n.Op().(type) {
		case *nodes.FusedOp:
			fmt.Fprintf(&b, "         = %s\n", op.Expr.String())
		case *nodes.FusedMatMulOp:
			fmt.Fprintf(&b, "         = %s\n", op.Attrs())
		}
	}
	fmt.Fprintf(&b, "  total %-37s %11s %10s\n", "", human(tf, "FLOP"), human(tb, "B"))
	return b.String()
}

func human(v int64, unit string) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2f G%s", float64(v)/1e9, unit)
	case v >= 1e6:
		return fmt.Sprintf("%.2f M%s", float64(v)/1e6, unit)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k%s", float64(v)/1e3, unit)
	}
	return fmt.Sprintf("%d %s", v, unit)
}
