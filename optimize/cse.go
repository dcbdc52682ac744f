package optimize

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/internal/dense"
	"github.com/loomtensor/loom/nodes"
)

// cse merges nodes that apply the same op, with the same parameters, to the
// same operands (lowering repeats reshapes of a shared input once per use).
// Reshapes that differ only in the names of their dims are the same value
// (batching rules label the dims they restore, so one value is often
// reshaped alike under several names, and a fused kernel would read the same
// elements twice). Inputs are never merged; constants are when they hold
// the same values (the replays of a loop body that autodiff builds, one per
// gradient, fold their own copies of one constant: merging them is what
// lets the replays merge).
func cse(outs []*graph.Node) ([]*graph.Node, error) {
	seen := map[string]*graph.Node{}
	consts := map[uint64][]constEntry{}
	return rewrite(outs, func(n *graph.Node, in []*graph.Node) *graph.Node {
		var key strings.Builder
		switch op := n.Op().(type) {
		case *graph.Input, *graph.Param:
			return nil
		case *graph.Const:
			fmt.Fprintf(&key, "const %s", constKey(op.Value, consts))
		case *nodes.ReshapeOp:
			fmt.Fprintf(&key, "reshape %v", op.Dims)
		default:
			fmt.Fprintf(&key, "%T%+v", op, op)
		}
		for _, x := range in {
			fmt.Fprintf(&key, " %d", x.ID())
		}
		if prev, ok := seen[key.String()]; ok {
			return prev
		}
		v := rebuild(n, in)
		seen[key.String()] = v
		return v
	})
}

// constEntry is a constant seen by cse, with its elements' bits.
type constEntry struct {
	v    *tensor.Dense
	bits []uint64
}

// constKey names a constant's value: its dtype, shape and the hash of its
// elements' bits, with the index among the distinct values sharing that
// hash (compared bit for bit, so a collision never merges two values, nor
// +0 with -0).
func constKey(v *tensor.Dense, seen map[uint64][]constEntry) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%v %v", v.Dtype(), v.Shape())
	bits := constBits(v)
	var b [8]byte
	for _, x := range bits {
		binary.LittleEndian.PutUint64(b[:], x)
		h.Write(b[:])
	}
	sum := h.Sum64()
	for k, w := range seen[sum] {
		if w.v == v || w.v.Dtype() == v.Dtype() && slices.Equal(w.v.Shape(), v.Shape()) && slices.Equal(w.bits, bits) {
			return fmt.Sprintf("%x/%d", sum, k)
		}
	}
	seen[sum] = append(seen[sum], constEntry{v, bits})
	return fmt.Sprintf("%x/%d", sum, len(seen[sum])-1)
}

// constBits is each element's bits, exactly (no float64 round trip).
func constBits(v *tensor.Dense) []uint64 {
	switch x := dense.Raw(v).(type) {
	case []float32:
		out := make([]uint64, len(x))
		for k, e := range x {
			out[k] = uint64(math.Float32bits(e))
		}
		return out
	case []float64:
		out := make([]uint64, len(x))
		for k, e := range x {
			out[k] = math.Float64bits(e)
		}
		return out
	case []int64:
		out := make([]uint64, len(x))
		for k, e := range x {
			out[k] = uint64(e)
		}
		return out
	case []bool:
		out := make([]uint64, len(x))
		for k, e := range x {
			if e {
				out[k] = 1
			}
		}
		return out
	}
	return []uint64{uint64(dense.Backing(v))} // unknown element type: only itself
}
