package optimize

import (
	"fmt"
	"os"

	"github.com/loomtensor/loom/graph"
)

// A Pass rewrites the program computing outs.
type Pass struct {
	Name    string
	Purpose string
	Run     func(outs []*graph.Node) ([]*graph.Node, error)
}

// Passes is the pipeline, in order.
var Passes = []Pass{
	{"dce", "drop loop captures only dead code reads (dead values never run: passes walk what the outputs need)", dce},
	{"lower", "replace loops by batched primitives (vmap.Lower)", lower},
	{"fold", "evaluate small all-constant subexpressions once", fold},
	{"contract", "sums of products become pairwise GEMM contractions, cheapest first", contract},
	{"simplify", "algebraic identities: reshape chains, x·1, x+0, -(-x), log(exp(x)), no-op casts, broadcasts and reductions, scale of scale", simplify},
	{"transposes", "fold transpose chains; absorb transposes into matmul operands", foldTransposes},
	{"cse", "merge identical subexpressions", cse},
	{"layout", "realise each chain of reshapes and transposes the cheapest way: through broadcasts, elementwise ops and products, or read in place by the matmul or reduction that consumes it", relayout},
	{"epilogue", "fold a scale of a matmul's result into the GEMM", epilogue},
	{"fuse", "elementwise chains, with their reduction or softmax and the matmul they read, become one kernel each", fuse},
}

// Order lists the constraints on Passes; a test checks them.
var Order = []struct{ Before, After, Why string }{
	{"dce", "lower", "lowering then never threads a capture that only dead code reads"},
	{"lower", "transposes", "lowering moves batch dims with transposes; folding removes them"},
	{"lower", "fold", "lowering hoists loop-invariant values, exposing constant subexpressions"},
	{"lower", "simplify", "lowering emits the reshape chains simplify collapses"},
	{"contract", "simplify", "contraction emits reshapes of reshapes"},
	{"simplify", "transposes", "collapsed reshapes let a transpose reach the matmul it feeds"},
	{"transposes", "cse", "transpose folding rebuilds matmuls; cse then merges what became equal"},
	{"cse", "epilogue", "fusing needs true use counts, which duplicates would inflate"},
	{"lower", "contract", "the sums of products to plan are what loops over indices lower to"},
	{"contract", "transposes", "contraction permutes operands; folding absorbs those transposes into the GEMMs"},
	{"contract", "epilogue", "a mean's scale lands after its last GEMM, where the epilogue folds it"},
	{"lower", "epilogue", "the matmuls to fuse into are the ones lowering creates"},
	{"lower", "fuse", "fused ops have no batching rule: fusion works on what lowering leaves"},
	{"contract", "fuse", "a product reduced over axes must become GEMMs, not a fused reduction of the full product"},
	{"cse", "fuse", "groups are decided by use counts: duplicates would be fused, and computed, once per copy"},
	{"epilogue", "fuse", "a scale folded into a GEMM's alpha costs nothing; fusion then sees only what is left"},
	{"transposes", "fuse", "a transpose left between two elementwise ops would split their group"},
	{"cse", "layout", "layout recomputes a value in another layout only when the chain is its only use; duplicates would hide that"},
	{"contract", "layout", "contraction permutes operands and results; layout lets the GEMMs read and write them in place"},
	{"layout", "epilogue", "a transposed product folded into the GEMM leaves its scale right after it, where the epilogue folds it"},
	{"layout", "fuse", "a broadcast moved next to its elementwise consumer fuses as a strided operand; a transpose left between elementwise ops would split their group"},
}

// Options tune a Run.
type Options struct {
	Dump   string // a pass name, or "all": print the program after it
	Verify bool   // check graph invariants after every pass
	Log    func(format string, args ...any)
}

// FromEnv reads LOOM_DUMP and LOOM_VERIFY.
func FromEnv() Options {
	return Options{
		Dump:   os.Getenv("LOOM_DUMP"),
		Verify: os.Getenv("LOOM_VERIFY") != "",
		Log:    func(f string, a ...any) { fmt.Fprintf(os.Stderr, f, a...) },
	}
}

// Run applies every pass in order.
func Run(outs []*graph.Node, opt Options) ([]*graph.Node, error) {
	for _, p := range Passes {
		next, err := p.Run(outs)
		if err != nil {
			return nil, fmt.Errorf("pass %s: %w", p.Name, err)
		}
		outs = next
		if opt.Verify {
			if err := Verify(outs); err != nil {
				return nil, fmt.Errorf("after pass %s: %w", p.Name, err)
			}
		}
		if opt.Log != nil && (opt.Dump == p.Name || opt.Dump == "all") {
			opt.Log("# after %s\n%s", p.Name, graph.Format(outs...))
		}
	}
	return outs, nil
}
