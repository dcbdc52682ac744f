package cuda

import "fmt"

// lu runs c through cuBLAS on the owner thread.
func (d *Device) lu(c luCall) error {
	n, lda, ldb, batch := int32(c.n), int32(max(c.lda, 1)), int32(max(c.ldb, 1)), int32(c.batch)
	switch c.op {
	case luFactor:
		return cublasErr("cublasDgetrfBatched", cublasDgetrfBatched(d.blas, n, c.a, lda, c.piv, c.info, batch))
	case luSolve:
		trans := int32(cublasOpN)
		if c.trans {
			trans = cublasOpT
		}
		var info int32
		if err := cublasErr("cublasDgetrsBatched", cublasDgetrsBatched(d.blas, trans, n, int32(c.nrhs), c.a, lda, c.piv, c.b, ldb, &info, batch)); err != nil {
			return err
		}
		if info != 0 {
			return fmt.Errorf("exec/cuda: cublasDgetrsBatched: parameter %d is invalid", -info)
		}
		return nil
	case luInvert:
		return cublasErr("cublasDgetriBatched", cublasDgetriBatched(d.blas, n, c.a, lda, c.piv, c.b, ldb, c.info, batch))
	}
	return fmt.Errorf("exec/cuda: unknown LU routine %d", c.op)
}
