package graph

import (
	"fmt"
	"strings"
)

// attrs is implemented by ops with parameters worth printing.
type attrs interface{ Attrs() string }

// Format prints the program that computes outs, one line per node, like a
// jaxpr: "%7 = Solve %5 %6 : f64[5]{i}". Loop bodies are printed indented
// under their loop, with each parameter's capture ("i@0": mapped over i on
// dim 0 of the outside value; "shared").
func Format(outs ...*Node) string {
	var b strings.Builder
	b.WriteString("graph {\n")
	for _, n := range Needed(outs) {
		formatNode(&b, n, "  ")
	}
	ids := make([]string, len(outs))
	for k, o := range outs {
		ids[k] = ref(o)
	}
	fmt.Fprintf(&b, "  return %s\n}\n", strings.Join(ids, ", "))
	return b.String()
}

// String prints the whole graph (every top-level node).
func (g *Graph) String() string { return Format(g.nodes...) }

func ref(n *Node) string {
	if n == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%%%d", n.id)
}

func formatNode(b *strings.Builder, n *Node, indent string) {
	fmt.Fprintf(b, "%s%s = %s", indent, ref(n), n.op.Name())
	if a, ok := n.op.(attrs); ok {
		if s := a.Attrs(); s != "" {
			fmt.Fprintf(b, "(%s)", s)
		}
	}
	for _, x := range n.in {
		b.WriteString(" " + ref(x))
	}
	fmt.Fprintf(b, " : %s", n.typ)
	loop, ok := n.op.(*LoopOp)
	if !ok {
		b.WriteString("\n")
		return
	}
	b.WriteString(" {\n")
	inner := indent + "    "
	for _, p := range loop.Body.Params {
		formatNode(b, p, inner)
	}
	for _, x := range loop.Body.Nodes {
		formatNode(b, x, inner)
	}
	fmt.Fprintf(b, "%syield %s\n%s}\n", inner, ref(loop.Body.Result), indent)
}

// DOT renders the program that computes outs as Graphviz DOT; loop bodies
// are clusters labelled with their axis.
func DOT(outs ...*Node) string {
	var b strings.Builder
	b.WriteString("digraph loom {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n")
	var edges []string
	var emit func(n *Node, indent string)
	emit = func(n *Node, indent string) {
		label := n.op.Name()
		if a, ok := n.op.(attrs); ok && a.Attrs() != "" {
			label += "(" + a.Attrs() + ")"
		}
		fmt.Fprintf(&b, "%sn%d [label=%q];\n", indent, n.id, fmt.Sprintf("%%%d %s\n%s", n.id, label, n.typ))
		for _, x := range n.in {
			edges = append(edges, fmt.Sprintf("  n%d -> n%d;\n", x.id, n.id))
		}
		loop, ok := n.op.(*LoopOp)
		if !ok {
			return
		}
		fmt.Fprintf(&b, "%ssubgraph cluster_%d {\n%s  label=%q;\n", indent, n.id, indent, "loop "+loop.Axis.String())
		for k, p := range loop.Body.Params {
			emit(p, indent+"  ")
			edges = append(edges, fmt.Sprintf("  n%d -> n%d [style=dashed];\n", n.in[k].id, p.id))
		}
		for _, x := range loop.Body.Nodes {
			emit(x, indent+"  ")
		}
		fmt.Fprintf(&b, "%s}\n", indent)
		edges = append(edges, fmt.Sprintf("  n%d -> n%d [style=dashed, label=\"yield\"];\n", loop.Body.Result.id, n.id))
	}
	for _, n := range Needed(outs) {
		emit(n, "  ")
	}
	for _, e := range edges {
		b.WriteString(e)
	}
	b.WriteString("}\n")
	return b.String()
}
