package bench

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCompareNamesExist checks that every benchmark compare.py reads is
// defined in this package, so renaming one cannot silently empty a column
// of `make bench`'s table.
func TestCompareNamesExist(t *testing.T) {
	src, err := os.ReadFile("compare.py")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				defined[fn.Name.Name] = true
			}
		}
	}
	names := regexp.MustCompile(`"(Benchmark\w+)`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 10 {
		t.Fatalf("found %d benchmark names in compare.py; expected its WORKLOADS table", len(names))
	}
	for _, m := range names {
		if !defined[m[1]] {
			t.Errorf("compare.py names %s, which no _test.go file in bench/ defines", m[1])
		}
	}
	for _, top := range strings.Split(regexp.MustCompile(`\((.*)\)`).FindStringSubmatch(
		regexp.MustCompile(`LOOM_PATTERN = "(.*)"`).FindStringSubmatch(string(src))[1])[1], "|") {
		if !defined["Benchmark"+top] {
			t.Errorf("compare.py's LOOM_PATTERN names Benchmark%s, which is not defined", top)
		}
	}
}
