package vmap

import (
	"fmt"
	"strings"

	"github.com/loomtensor/loom/graph"
)

// perm turns the Into layout into a permutation of the loop result's dims
// [loop axes..., body dims...].
func (l Loop) perm(bodyRank int) ([]int, error) {
	want := len(l.axes) + bodyRank
	if len(l.layout) != want {
		return nil, fmt.Errorf("%d entries for %d loop axes and %d body dims", len(l.layout), len(l.axes), bodyRank)
	}
	perm := make([]int, 0, want)
	used := map[*graph.Axis]bool{}
	body := 0
	for _, e := range l.layout {
		switch v := e.(type) {
		case *graph.Axis:
			k := -1
			for j, a := range l.axes {
				if a == v {
					k = j
				}
			}
			if k < 0 {
				return nil, fmt.Errorf("axis %s is not one of the loop's axes", v.Name())
			}
			if used[v] {
				return nil, fmt.Errorf("axis %s placed twice", v.Name())
			}
			used[v] = true
			perm = append(perm, k)
		default:
			if e != graph.All {
				return nil, fmt.Errorf("entry %v (%T): want a loop *graph.Axis or graph.All", e, e)
			}
			perm = append(perm, len(l.axes)+body)
			body++
		}
	}
	return perm, nil
}

func describe(layout []any) string {
	p := make([]string, len(layout))
	for k, e := range layout {
		if a, ok := e.(*graph.Axis); ok {
			p[k] = a.Name()
		} else {
			p[k] = fmt.Sprint(e)
		}
	}
	return "(" + strings.Join(p, ", ") + ")"
}
