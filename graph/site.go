package graph

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// libPackages are loom's own packages: call sites inside them are not the
// user's line, unless the frame is in a test file (tests are users too).
var libPackages = []string{"graph", "nodes", "vmap", "autodiff", "exec", "optimize", "internal", "nn", "train"}

const modulePath = "github.com/loomtensor/loom/"

// callSite returns "file.go:line" of the first caller outside loom's library
// packages, so build errors point at the user's code.
func callSite() string {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	last := ""
	for {
		f, more := frames.Next()
		if f.File != "" {
			last = fmt.Sprintf("%s:%d", filepath.Base(f.File), f.Line)
			if !isLibFrame(f.Function, f.File) {
				return last
			}
		}
		if !more {
			return last
		}
	}
}

func isLibFrame(fn, file string) bool {
	if strings.HasSuffix(file, "_test.go") || !strings.HasPrefix(fn, modulePath) {
		return false
	}
	rest := fn[len(modulePath):]
	for _, p := range libPackages {
		if strings.HasPrefix(rest, p+".") || strings.HasPrefix(rest, p+"/") {
			return true
		}
	}
	return false
}

// Error is a build error: where the user built the node, which op, and why.
type Error struct {
	Site string // "file.go:line" in the user's code
	Op   string
	Msg  string
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Site + ": " + e.Msg
	}
	return e.Site + ": " + e.Op + ": " + e.Msg
}
