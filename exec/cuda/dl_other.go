//go:build !(linux && (amd64 || arm64))

package cuda

import (
	"errors"
	"runtime"
)

var errPlatform = errors.New("loading CUDA libraries without cgo is supported on linux/amd64 and linux/arm64, not " + runtime.GOOS + "/" + runtime.GOARCH)

func dlopen(string) (uintptr, error)   { return 0, errPlatform }
func dlsym(uintptr, string, any) error { return errPlatform }
