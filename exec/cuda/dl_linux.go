//go:build linux && (amd64 || arm64)

package cuda

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// dlopen loads a shared library; the handle is never closed.
func dlopen(name string) (uintptr, error) {
	return purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

// dlsym binds the C function name of library h to the Go function pointed
// to by fptr. A signature purego cannot call (too many stack arguments) is
// an error, not a panic.
func dlsym(h uintptr, name string, fptr any) (err error) {
	p, err := purego.Dlsym(h, name)
	if err != nil {
		return fmt.Errorf("symbol %s: %v", name, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("symbol %s: %v", name, r)
		}
	}()
	purego.RegisterFunc(fptr, p)
	return nil
}
