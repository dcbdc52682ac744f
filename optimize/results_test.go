package optimize

import (
	"math/rand"
	"sort"
	"testing"

	"github.com/loomtensor/loom/internal/optest"
)

// Every pass keeps results equal: each program of the op suite is evaluated
// by the reference rules before optimizing and again after every pass, and
// the results must agree (float32 after reassociation: optest.Close).
func TestEveryPassKeepsResults(t *testing.T) {
	progs := optest.Fed(rand.New(rand.NewSource(5)))
	names := make([]string, 0, len(progs))
	for name := range progs {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) < 100 {
		t.Fatalf("only %d programs in the op suite", len(names))
	}
	for _, name := range names {
		p := progs[name]
		want := interpret(t, p.Outs, p.Feeds)
		outs := p.Outs
		for _, pass := range Passes {
			next, err := pass.Run(outs)
			if err != nil {
				t.Fatalf("%s: pass %s: %v", name, pass.Name, err)
			}
			outs = next
			got := interpret(t, outs, p.Feeds)
			for k := range want {
				optest.Close(t, name+" after "+pass.Name, got[k], want[k])
			}
		}
	}
}
