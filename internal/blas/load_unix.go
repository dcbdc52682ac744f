//go:build (linux || darwin || freebsd) && (amd64 || arm64) && !android

package blas

import (
	"strings"

	"github.com/ebitengine/purego"
)

// open tries each candidate in turn and binds the symbols from the first that
// loads and has them. It returns the library used, or "" and why not.
func open(paths []string) (lib, why string) {
	var errs []string
	for _, p := range paths {
		h, err := purego.Dlopen(p, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			errs = append(errs, brief(p, err))
			continue
		}
		if err := bind(h); err != nil {
			errs = append(errs, p+": "+err.Error())
			continue
		}
		return p, ""
	}
	return "", "OpenBLAS not found: " + strings.Join(errs, "; ")
}

// brief turns dlerror's "libopenblas.so.0: cannot open shared object file: No
// such file or directory" into "libopenblas.so.0 not found".
func brief(p string, err error) string {
	if strings.Contains(err.Error(), "No such file") {
		return p + " not found"
	}
	return err.Error()
}

func bind(h uintptr) error {
	s, err := purego.Dlsym(h, "cblas_sgemm")
	if err != nil {
		return err
	}
	d, err := purego.Dlsym(h, "cblas_dgemm")
	if err != nil {
		return err
	}
	purego.RegisterFunc(&cSgemm, s)
	purego.RegisterFunc(&cDgemm, d)
	// Thread control is optional: other CBLAS builds lack it, and then
	// SingleThreaded just runs its function.
	g, errG := purego.Dlsym(h, "openblas_get_num_threads")
	st, errS := purego.Dlsym(h, "openblas_set_num_threads")
	if errG == nil && errS == nil {
		purego.RegisterFunc(&cGetThreads, g)
		purego.RegisterFunc(&cSetThreads, st)
	}
	if cn, err := purego.Dlsym(h, "openblas_get_corename"); err == nil {
		purego.RegisterFunc(&cCoreName, cn)
	}
	return nil
}
