package train_test

import (
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/loomtensor/loom/autodiff"
	"github.com/loomtensor/loom/graph"
	"github.com/loomtensor/loom/nodes"
	"github.com/loomtensor/loom/train"
)

// Bad input to Graph and Carry is an error that says what is wrong, never a
// panic or a poisoned graph left for Compile to find.
func TestGraphErrors(t *testing.T) {
	m := newTiny(tensor.Float32, 1)
	grads := autodiff.Grad(m.loss, m.params...)
	other := graph.New()
	op := other.Input("o", tensor.Float32, 3, 4)
	ints := m.g.Input("ints", tensor.Int64, 4)
	f64 := m.g.Input("f64", tensor.Float64, 4)
	adam := train.NewAdam(0.01)
	cases := []struct {
		name  string
		build func() (*train.Update, error)
		want  string
	}{
		{"lengths", func() (*train.Update, error) { return adam.Graph(m.params, grads[:2]) }, "3 params but 2 grads"},
		{"empty", func() (*train.Update, error) { return adam.Graph(nil, nil) }, "no parameters"},
		{"nil param", func() (*train.Update, error) {
			return adam.Graph([]*graph.Node{m.params[0], nil}, grads[:2])
		}, "params[1] is nil"},
		{"nil grad", func() (*train.Update, error) {
			return adam.Graph(m.params[:1], []*graph.Node{nil})
		}, "grads[0] is nil"},
		{"not an input", func() (*train.Update, error) {
			return adam.Graph([]*graph.Node{nodes.Scale(m.params[0], 2)}, grads[:1])
		}, "not a graph input"},
		{"int param", func() (*train.Update, error) {
			return adam.Graph([]*graph.Node{ints}, []*graph.Node{ints})
		}, "only float32 and float64"},
		{"grad dtype", func() (*train.Update, error) {
			return adam.Graph(m.params[1:2], []*graph.Node{f64})
		}, "grads[0] has dtype float64"},
		{"grad shape", func() (*train.Update, error) {
			return adam.Graph(m.params[:1], grads[1:2])
		}, "grads[0] shape [4]"},
		{"two graphs", func() (*train.Update, error) {
			return adam.Graph([]*graph.Node{m.params[0], op}, grads[:2])
		}, "another graph"},
		{"twice", func() (*train.Update, error) {
			return adam.Graph([]*graph.Node{m.params[1], m.params[1]}, []*graph.Node{grads[1], grads[1]})
		}, `"b" given twice`},
		{"prefix", func() (*train.Update, error) {
			return adam.Graph(m.params, grads, train.Prefix("a/b"))
		}, "prefix"},
		{"lr", func() (*train.Update, error) { return train.NewAdam(-1).Graph(m.params, grads) }, "LR = -1"},
		{"beta", func() (*train.Update, error) {
			return (&train.Adam{LR: 1, Beta1: 1}).Graph(m.params, grads)
		}, "must be < 1"},
		{"nesterov", func() (*train.Update, error) {
			return (&train.SGD{LR: 1, Nesterov: true}).Graph(m.params, grads)
		}, "Nesterov"},
		{"nil sgd", func() (*train.Update, error) { return (*train.SGD)(nil).Graph(m.params, grads) }, "nil *SGD"},
		{"nil adam", func() (*train.Update, error) { return (*train.Adam)(nil).Graph(m.params, grads) }, "nil *Adam"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := c.build()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, %v; want an error with %q", u, err, c.want)
			}
			t.Log(err)
		})
	}
	if err := m.g.Err(); err != nil {
		t.Fatalf("a rejected update poisoned the graph: %v", err)
	}

	// A second update under the same prefix is named, not left to the
	// graph's "declared twice".
	if _, err := adam.Graph(m.params[:1], grads[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := adam.Graph(m.params[1:], grads[1:]); err == nil || !strings.Contains(err.Error(), "another Prefix") {
		t.Fatalf("second update under one prefix: %v", err)
	}
	u, err := adam.Graph(m.params[1:], grads[1:], train.Prefix("second"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.g.Err(); err != nil {
		t.Fatalf("graph poisoned: %v", err)
	}

	// Carry checks its arguments.
	feeds := map[string]*tensor.Dense{}
	if err := train.Carry(u, feeds, make([]*tensor.Dense, 2)); err == nil || !strings.Contains(err.Error(), "2 values for the update's 7 outputs") {
		t.Errorf("Carry with too few values: %v", err)
	}
	if err := train.Carry(nil, feeds, nil); err == nil {
		t.Error("Carry with a nil Update: no error")
	}
	if err := train.Carry(u, nil, make([]*tensor.Dense, 7)); err == nil {
		t.Error("Carry into a nil map: no error")
	}
}

// A poisoned gradient is reported as the graph's error.
func TestGraphPoisonedGrad(t *testing.T) {
	m := newTiny(tensor.Float64, 1)
	bad := nodes.MatMul(m.params[1], m.params[0]) // [4]·[3,4]: a build error
	_, err := train.NewSGD(0.1, 0).Graph(m.params[1:2], []*graph.Node{bad})
	if err == nil || !strings.Contains(err.Error(), "grads[0]") {
		t.Fatalf("got %v, want the poisoned gradient's error", err)
	}
}
