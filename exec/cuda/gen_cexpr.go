package cuda

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/nodes"
)

// The C expressions of an Expr's steps, each with Go's semantics (NaN
// propagation, signed zeros, wrapping int64 arithmetic, saturating casts).

// instr is the C expression of one step.
func (e *Expr) instr(ins Instr) (string, error) {
	arg := func(j int) string { return fmt.Sprintf("t%d", ins.Args[j]) }
	switch ins.Kind {
	case ILoad:
		return e.load(ins.In), nil
	case IConst:
		return lit(ins.C, ins.DType), nil
	case IUnary:
		return unaryC(ins.Un, ins.DType, arg(0), ins.C)
	case IBinary:
		return binaryC(ins.Bin, e.argType(ins.Args[0]), arg(0), arg(1))
	case IWhere:
		return fmt.Sprintf("(%s ? %s : %s)", arg(0), arg(1), arg(2)), nil
	case ICast:
		return castC(e.argType(ins.Args[0]), ins.DType, arg(0)), nil
	}
	return "", fmt.Errorf("unknown kind %d", ins.Kind)
}

func (e *Expr) argType(step int) tensor.Dtype { return e.Code[step].DType }

func (e *Expr) load(k int) string {
	switch e.mode(k) {
	case scalar:
		return fmt.Sprintf("p.a%d[0]", k)
	case repeat:
		return fmt.Sprintf("p.a%d[i %% p.m%d]", k, k)
	case strided:
		terms := make([]string, len(e.Shape))
		for d := range e.Shape {
			terms[d] = fmt.Sprintf("c[%d] * p.st%d[%d]", d, k, d)
		}
		return fmt.Sprintf("p.a%d[%s]", k, strings.Join(terms, " + "))
	}
	return fmt.Sprintf("p.a%d[i]", k)
}

// unaryC is nodes.Unary of kind k on x of dtype dt, with Go's semantics.
func unaryC(k nodes.UnaryKind, dt tensor.Dtype, x string, c float64) (string, error) {
	f32 := dt == tensor.Float32
	fn := func(name string) string {
		if f32 {
			name += "f"
		}
		return name + "(" + x + ")"
	}
	switch dt {
	case tensor.Float32, tensor.Float64:
		switch k {
		case nodes.UnNeg:
			return "(-" + x + ")", nil
		case nodes.UnExp:
			return fn("exp"), nil
		case nodes.UnLog:
			return fn("log"), nil
		case nodes.UnSqrt:
			return fn("sqrt"), nil
		case nodes.UnTanh:
			return fn("tanh"), nil
		case nodes.UnAbs:
			return fn("fabs"), nil
		case nodes.UnSigmoid:
			return "lsigmoid(" + x + ")", nil
		case nodes.UnRelu:
			return "lrelu(" + x + ")", nil
		case nodes.UnScale:
			return x + " * " + lit(c, dt), nil
		case nodes.UnOffset:
			return x + " + " + lit(c, dt), nil
		}
	case tensor.Int64:
		switch k {
		case nodes.UnNeg:
			return "wsub(0, " + x + ")", nil
		case nodes.UnRelu:
			return "(" + x + " > 0 ? " + x + " : (i64)0)", nil
		case nodes.UnAbs:
			return "(" + x + " < 0 ? wsub(0, " + x + ") : " + x + ")", nil
		case nodes.UnScale:
			return "wmul(" + x + ", " + lit(c, dt) + ")", nil
		case nodes.UnOffset:
			return "wadd(" + x + ", " + lit(c, dt) + ")", nil
		}
	}
	return "", fmt.Errorf("%v does not take %v", k, dt)
}

// binaryC is nodes.Binary of kind k on a, b of dtype dt.
func binaryC(k nodes.BinaryKind, dt tensor.Dtype, a, b string) (string, error) {
	cmp := map[nodes.BinaryKind]string{nodes.BinLess: "<", nodes.BinGreater: ">", nodes.BinEqual: "=="}
	if o, ok := cmp[k]; ok && (dt != tensor.Bool || k == nodes.BinEqual) {
		return fmt.Sprintf("(u8)(%s %s %s)", a, o, b), nil
	}
	switch dt {
	case tensor.Float32, tensor.Float64:
		ops := map[nodes.BinaryKind]string{nodes.BinAdd: "+", nodes.BinSub: "-", nodes.BinMul: "*", nodes.BinDiv: "/"}
		if o, ok := ops[k]; ok {
			return fmt.Sprintf("%s %s %s", a, o, b), nil
		}
		switch k {
		case nodes.BinMaximum:
			return fmt.Sprintf("lmax(%s, %s)", a, b), nil
		case nodes.BinMinimum:
			return fmt.Sprintf("lmin(%s, %s)", a, b), nil
		case nodes.BinPow:
			if dt == tensor.Float32 {
				return fmt.Sprintf("powf(%s, %s)", a, b), nil
			}
			return fmt.Sprintf("pow(%s, %s)", a, b), nil
		}
	case tensor.Int64:
		fns := map[nodes.BinaryKind]string{nodes.BinAdd: "wadd", nodes.BinSub: "wsub", nodes.BinMul: "wmul", nodes.BinMaximum: "lmax", nodes.BinMinimum: "lmin"}
		if f, ok := fns[k]; ok {
			return fmt.Sprintf("%s(%s, %s)", f, a, b), nil
		}
	}
	return "", fmt.Errorf("%v does not take %v", k, dt)
}

// castC converts x from one dtype to another as nodes.Cast does: floats to
// int64 truncate (saturating, NaN is 0), nonzero is true, true is 1.
func castC(from, to tensor.Dtype, x string) string {
	switch {
	case from == to:
		return x
	case to == tensor.Bool:
		return "(u8)(" + x + " != 0)"
	case to == tensor.Int64 && (from == tensor.Float32 || from == tensor.Float64):
		return "ltrunc((double)" + x + ")"
	}
	return "(" + cType(to) + ")" + x
}
