// Package dense holds the small helpers loom uses on *tensor.Dense values:
// making contiguous buffers of a dtype and shape, and moving element data in and
// out as float64 or int64 so reference kernels can be written once per family.
//
// Everything here returns fresh, contiguous, row-major tensors that loom owns;
// nothing aliases a caller's buffer.
package dense
