package nodes

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loomtensor/loom/graph"
)

// String prints the expression as nested calls, as a user would write it:
// "Scale(Exp(Offset(Scale(in0, 0.5), 0.25)), 1.5)". Operands are in0, in1...
// with their broadcast ("in1[dims 1]": placed along dim 1, repeated along
// the others). A value used twice is named once ("v3 = Exp(in0); Mul(v3,
// v3)"), so the print shows what is computed once.
func (o *Expr) String() string {
	if len(o.Code) == 0 {
		return "<empty>"
	}
	uses := make([]int, len(o.Code))
	for _, ins := range o.Code {
		for _, a := range ins.Args {
			if a >= 0 && a < len(uses) {
				uses[a]++
			}
		}
	}
	text := make([]string, len(o.Code))
	var lets []string
	for k, ins := range o.Code {
		s := o.instrString(ins, text)
		if uses[k] > 1 && ins.Kind != ILoad && ins.Kind != IConst {
			lets = append(lets, fmt.Sprintf("v%d = %s", k, s))
			s = fmt.Sprintf("v%d", k)
		}
		text[k] = s
	}
	body := text[len(text)-1]
	switch t := o.Tail; t.Kind {
	case TailReduce:
		body = fmt.Sprintf("%s[axes %s](%s)", t.Reduce, fusedInts(t.Axes), body)
	case TailSoftmax:
		name := "Softmax"
		if t.Log {
			name = "LogSoftmax"
		}
		body = fmt.Sprintf("%s[axis %d](%s)", name, t.Axis, body)
	}
	return strings.Join(append(lets, body), "; ")
}

func (o *Expr) instrString(ins Instr, text []string) string {
	arg := func(j int) string {
		if j < len(ins.Args) && ins.Args[j] >= 0 && ins.Args[j] < len(text) {
			return text[ins.Args[j]]
		}
		return "?"
	}
	switch ins.Kind {
	case ILoad:
		s := fmt.Sprintf("in%d", ins.Input)
		if ins.Input >= 0 && ins.Input < len(o.Inputs) && !o.Inputs[ins.Input].Full(o.Shape) {
			s += fmt.Sprintf("[dims %s]", fusedInts(o.Inputs[ins.Input].Dims))
		}
		return s
	case IConst:
		return strconv.FormatFloat(ins.C, 'g', -1, 64)
	case IUnary:
		if ins.Unary == UnScale || ins.Unary == UnOffset {
			return fmt.Sprintf("%s(%s, %s)", ins.Unary, arg(0), strconv.FormatFloat(ins.C, 'g', -1, 64))
		}
		return fmt.Sprintf("%s(%s)", ins.Unary, arg(0))
	case IBinary:
		return fmt.Sprintf("%s(%s, %s)", ins.Binary, arg(0), arg(1))
	case IWhere:
		return fmt.Sprintf("Where(%s, %s, %s)", arg(0), arg(1), arg(2))
	case ICast:
		return fmt.Sprintf("Cast[%s](%s)", graph.DTypeName(ins.DType), arg(0))
	}
	return fmt.Sprintf("?%d", ins.Kind)
}

func fusedInts(v []int) string {
	s := make([]string, len(v))
	for k, x := range v {
		s[k] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}

// Ops lists the member ops the expression stands for, in order, with its
// tail last: what a fused kernel replaced ("Scale Offset Exp Scale").
func (o *Expr) Ops() []string {
	var names []string
	for _, ins := range o.Code {
		if m := ins.member(); m != nil {
			names = append(names, m.Name())
		}
	}
	if op := o.Tail.op(); op != nil {
		names = append(names, op.Name())
	}
	return names
}
