package npy

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gorgonia.org/tensor"
)

// magic opens every .npy file; the version bytes follow it.
const magic = "\x93NUMPY"

// maxHeader bounds the header we are willing to read. NumPy itself refuses
// headers over 10000 bytes by default; a larger cap still keeps a corrupt
// length field from making us allocate gigabytes.
const maxHeader = 1 << 20

// kind is one array-protocol type string ('<f4') resolved to a dtype.
type kind struct {
	dt   tensor.Dtype
	size int  // bytes per element
	big  bool // stored big-endian
}

// parseDescr resolves a descr such as '<f4' or '|b1'.
func parseDescr(s string) (kind, error) {
	bad := fmt.Errorf("npy: unsupported dtype '%s' (loom reads <f4 <f8 <i8 <i4 |b1 and their big-endian forms)", s)
	if len(s) != 3 {
		return kind{}, bad
	}
	var k kind
	switch s[1:] {
	case "f4":
		k = kind{dt: tensor.Float32, size: 4}
	case "f8":
		k = kind{dt: tensor.Float64, size: 8}
	case "i8":
		k = kind{dt: tensor.Int64, size: 8}
	case "i4":
		k = kind{dt: tensor.Int32, size: 4}
	case "b1":
		k = kind{dt: tensor.Bool, size: 1}
	default:
		return kind{}, bad
	}
	switch s[0] {
	case '<':
	case '>':
		k.big = true
	case '|':
		// "not applicable": only meaningful for one-byte types.
		if k.size != 1 {
			return kind{}, bad
		}
	default:
		// '=' (native) never appears in files NumPy writes and would make the
		// meaning depend on the reading machine.
		return kind{}, bad
	}
	return k, nil
}

// descrOf is the descr Write uses for dt (always little-endian).
func descrOf(dt tensor.Dtype) (string, error) {
	switch dt {
	case tensor.Float32:
		return "<f4", nil
	case tensor.Float64:
		return "<f8", nil
	case tensor.Int64:
		return "<i8", nil
	case tensor.Int32:
		return "<i4", nil
	case tensor.Bool:
		return "|b1", nil
	}
	return "", fmt.Errorf("npy: cannot write dtype %v (loom writes float32, float64, int64, int32, bool)", dt)
}

// header is the decoded header dict.
type header struct {
	kind    kind
	fortran bool
	shape   []int
}

// formatHeader renders the dict the way NumPy does, without padding.
func formatHeader(descr string, shape []int) string {
	var b strings.Builder
	b.WriteString("{'descr': '")
	b.WriteString(descr)
	b.WriteString("', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteString("), }")
	return b.String()
}

// parseHeader decodes the Python dict literal of a header.
func parseHeader(s string) (header, error) {
	p := &parser{s: s}
	v, err := p.value(0)
	if err == nil {
		p.space()
		if p.i < len(p.s) {
			err = p.errorf("unexpected %q after the dict", p.rest())
		}
	}
	if err != nil {
		return header{}, fmt.Errorf("npy: header parse error: %w", err)
	}
	d, ok := v.(dict)
	if !ok {
		return header{}, fmt.Errorf("npy: header parse error: header is not a dict: %q", s)
	}
	var h header
	seen := 0
	for _, e := range d {
		switch e.key {
		case "descr":
			ds, ok := e.val.(string)
			if !ok {
				return header{}, fmt.Errorf("npy: unsupported dtype %s (structured arrays are not supported)", show(e.val))
			}
			if h.kind, err = parseDescr(ds); err != nil {
				return header{}, err
			}
		case "fortran_order":
			b, ok := e.val.(bool)
			if !ok {
				return header{}, fmt.Errorf("npy: header parse error: fortran_order is %s, want True or False", show(e.val))
			}
			h.fortran = b
		case "shape":
			if h.shape, err = toShape(e.val); err != nil {
				return header{}, err
			}
		default:
			return header{}, fmt.Errorf("npy: header parse error: unexpected key %q", e.key)
		}
		seen++
	}
	if seen != 3 {
		return header{}, fmt.Errorf("npy: header parse error: want keys descr, fortran_order and shape, got %q", s)
	}
	return h, nil
}

func toShape(v any) ([]int, error) {
	t, ok := v.(tuple)
	if !ok {
		return nil, fmt.Errorf("npy: header parse error: shape is %s, want a tuple of ints", show(v))
	}
	shape := make([]int, len(t))
	n := 1
	for i, e := range t {
		d, ok := e.(int64)
		if !ok || d < 0 || uint64(d) > math.MaxInt {
			return nil, fmt.Errorf("npy: header parse error: shape %s has a bad dim %s", show(v), show(e))
		}
		shape[i] = int(d)
		// Overflow guard: a zero dim makes any product fine.
		if n != 0 && d != 0 && n > math.MaxInt/int(d) {
			return nil, fmt.Errorf("npy: shape %s has too many elements", show(v))
		}
		n *= int(d)
	}
	return shape, nil
}

// The header is a Python literal; these types mirror the part we accept.
type (
	tuple []any
	list  []any
	entry struct {
		key string
		val any
	}
	dict []entry
)

func show(v any) string {
	switch v := v.(type) {
	case string:
		return "'" + v + "'"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(v, 10)
	case tuple, list:
		open, close := "(", ")"
		xs := []any(nil)
		if l, ok := v.(list); ok {
			open, close, xs = "[", "]", l
		} else {
			xs = v.(tuple)
		}
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = show(x)
		}
		return open + strings.Join(parts, ", ") + close
	case dict:
		return "{...}"
	}
	return fmt.Sprint(v)
}

// parser is a small recursive-descent reader of Python literals: dicts,
// tuples, lists, quoted strings, True/False and integers (an old Python 2
// "3L" included).
type parser struct {
	s string
	i int
}

// maxDepth keeps nested brackets in a corrupt header from exhausting the stack.
const maxDepth = 8

var errDepth = errors.New("literal nested too deeply")

func (p *parser) errorf(format string, a ...any) error {
	return fmt.Errorf("at byte %d: %s", p.i, fmt.Sprintf(format, a...))
}

func (p *parser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *parser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.errorf("unexpected end of header")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict(depth)
	case c == '(' || c == '[':
		return p.seq(depth)
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.int()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	}
	return nil, p.errorf("unexpected %q", p.rest())
}

func (p *parser) dict(depth int) (any, error) {
	p.i++ // '{'
	var d dict
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, p.errorf("dict key %s is not a string", show(k))
		}
		for _, e := range d {
			if e.key == key {
				return nil, p.errorf("duplicate key %q", key)
			}
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errorf("want ':' after key %q", key)
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d = append(d, entry{key, v})
		if !p.sep('}') {
			return nil, p.errorf("want ',' or '}' in dict, got %q", p.rest())
		}
	}
}

// sep consumes a ',' or peeks at the closing bracket; false on anything else.
func (p *parser) sep(close byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ',' {
		p.i++
		return true
	}
	return p.i < len(p.s) && p.s[p.i] == close
}

func (p *parser) seq(depth int) (any, error) {
	open := p.s[p.i]
	close := byte(')')
	if open == '[' {
		close = ']'
	}
	p.i++
	var xs []any
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == close {
			p.i++
			if open == '[' {
				return list(xs), nil
			}
			return tuple(xs), nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		xs = append(xs, v)
		if !p.sep(close) {
			return nil, p.errorf("want ',' or '%c', got %q", close, p.rest())
		}
	}
}

func (p *parser) str() (any, error) {
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return nil, p.errorf("unterminated string")
	}
	s := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(s, '\\') >= 0 {
		return nil, p.errorf("escapes in strings are not supported: %q", s)
	}
	p.i += end + 2
	return s, nil
}

func (p *parser) int() (any, error) {
	j := p.i
	if p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	v, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	if err != nil {
		return nil, p.errorf("bad integer %q", p.s[p.i:j])
	}
	p.i = j
	if p.i < len(p.s) && (p.s[p.i] == 'L' || p.s[p.i] == 'l') {
		p.i++
	}
	return v, nil
}
