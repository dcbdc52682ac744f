// Package npy reads and writes NumPy's .npy format, so weights and data move
// between loom and Python unchanged.
//
// Write produces format 1.0 (2.0 only when the header outgrows 1.0's 64 KiB
// limit), little-endian and in C order, with the data aligned to 64 bytes as
// NumPy aligns it. Slices and transposed views are written by their logical
// values, never their backing buffer.
//
// Read accepts versions 1.0 to 3.0, the dtypes float32 ('<f4'), float64
// ('<f8'), int64 ('<i8'), int32 ('<i4') and bool ('|b1'), big-endian forms
// ('>f4', '>f8', '>i8', '>i4', byte-swapped on load) and fortran_order True
// (reordered into C order). A shape () gives a rank-0 tensor. Anything else,
// a truncated file or a corrupt header is an error naming the problem. Read
// never panics on bad input, and a header that promises more data than the
// input holds costs at most 4 MiB or twice the data present before the
// truncation error. It reads
// exactly one array's bytes, so arrays written back to back can be read in
// turn from one stream. On little-endian machines data moves as one copy.
//
// In Python the files are plain np.load / np.save:
//
//	w = np.load("w.npy")           # written by npy.Save
//	np.save("x.npy", x)            # read by npy.Load
package npy
