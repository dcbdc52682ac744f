// Package gradcheck compares autodiff gradients with central finite
// differences, element by element: the oracle for gradients through loops,
// indexing and whole models (autodiff's and nn's tests use it; the per-op
// suite in internal/optest probes random directions instead).
package gradcheck
