// Package autodiff is reverse-mode differentiation over loom graphs: Grad
// builds the gradient as more graph, so the optimizer sees forward and
// backward together, and the gradient of a loop is a loop of the body's
// gradient.
package autodiff
