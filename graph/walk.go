package graph

// Needed returns the top-level nodes that outs depend on, outs included, in
// topological order (loop bodies are not expanded). Outputs must be top-level.
func Needed(outs []*Node) []*Node {
	need := map[*Node]bool{}
	var visit func(n *Node)
	visit = func(n *Node) {
		if n == nil || need[n] {
			return
		}
		need[n] = true
		for _, x := range n.in {
			visit(x)
		}
	}
	for _, o := range outs {
		visit(o)
	}
	var g *Graph
	for _, o := range outs {
		if o != nil && o.g != nil {
			g = o.g
			break
		}
	}
	if g == nil {
		return nil
	}
	var order []*Node
	for _, n := range g.nodes {
		if need[n] {
			order = append(order, n)
		}
	}
	return order
}
