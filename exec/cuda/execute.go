package cuda

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"github.com/loomtensor/loom/graph"
)

// profile (LOOM_PROFILE=1) waits for each step and prints its time: the
// kernels' real cost, at the price of a sync per step.
var profile = os.Getenv("LOOM_PROFILE") == "1"

// execute runs the plan on the device values of its inputs and returns its
// outputs' values, which share memory with nothing else. It runs on the
// owner thread. Each intermediate goes back to the pool after its last
// reader; kernels report failures (a gather index out of range, a singular
// system) in flag slots read once, after the last kernel.
//
// The feeds of donated inputs (exec.Donate) are the run's: their buffers
// may be written over as the memory plan says, and execute drops the
// feed's reference to each exactly once, whatever happens — after its last
// reader, or by handing it to an output that is the feed itself. The
// caller must hold no other claim on them.
func (p *plan) execute(e *engine, feeds map[*graph.Node]*Tensor) (res []*Tensor, err error) {
	r := &run{e: e, p: p, sms: e.g.smCount()}
	vals := map[*graph.Node]*Tensor{}
	owned := map[*graph.Node]bool{}      // values this run made (feeds and constants are borrowed)
	donated := map[*graph.Node]*Tensor{} // donated feeds whose reference the run still holds
	for n, t := range feeds {
		if p.mem.donated[n] && t != nil {
			donated[n] = t
		}
	}
	defer func() {
		if err != nil {
			for n, t := range vals {
				if owned[n] {
					e.release(t.buf)
				}
			}
			for _, t := range donated {
				e.release(t.buf)
			}
		}
	}()
	for _, n := range p.inputs {
		t := feeds[n]
		if t == nil {
			return nil, fmt.Errorf("exec/cuda: input %q not fed", n.Op().(*graph.Input).Label)
		}
		vals[n] = t
	}
	for n, t := range p.consts {
		vals[n] = t
	}
	borrowed := map[*buffer]bool{}
	for n, t := range vals {
		if donated[n] == nil {
			borrowed[t.buf] = true
		}
	}
	r.borrowed = borrowed
	if p.nflags > 0 {
		fl, err := e.alloc(int64(8 * p.nflags))
		if err != nil {
			return nil, err
		}
		defer e.release(fl)
		init := make([]byte, 0, 8*p.nflags)
		for _, s := range p.steps {
			for _, v := range s.flags {
				init = binary.LittleEndian.AppendUint64(init, uint64(v))
			}
		}
		if err := e.g.upload(fl.ptr, init); err != nil {
			return nil, err
		}
		r.flags = fl.ptr
	}
	for i, s := range p.steps {
		in := make([]*Tensor, len(s.args))
		for k, a := range s.args {
			in[k] = vals[a]
		}
		r.step, r.in = i, in
		start := time.Now()
		out, err := s.exec(r, in)
		if profile && err == nil {
			if err = e.g.sync(); err == nil {
				fmt.Fprintf(os.Stderr, "loom cuda: %8.3f ms  %%%d %s %s\n", time.Since(start).Seconds()*1e3, s.n.ID(), s.n.Op().Name(), s.n.Type())
			}
		}
		if err != nil {
			return nil, &graph.RunError{Node: s.n, Err: err}
		}
		vals[s.n], owned[s.n] = out, true
		for _, a := range s.args {
			if t, ok := vals[a]; ok && p.last[a] == i {
				if owned[a] || donated[a] != nil {
					e.release(t.buf)
					delete(donated, a)
				}
				delete(vals, a)
			}
		}
	}
	if err := e.g.sync(); err != nil {
		return nil, err
	}
	if err := p.checkFlags(r); err != nil {
		return nil, err
	}
	if res, err = p.results(r, vals, owned, borrowed); err != nil {
		return nil, err
	}
	// A donated feed that is an output goes to the caller as a new value
	// (the feed's own Tensor is about to be marked consumed).
	for k, t := range res {
		for n, d := range donated {
			if t == d {
				res[k] = &Tensor{e: e, buf: t.buf, dt: t.dt, shape: t.shape}
				delete(donated, n)
			}
		}
	}
	for n, t := range donated {
		e.release(t.buf)
		delete(donated, n)
	}
	return res, nil
}

// checkFlags reads the flag slots back and reports the first failing step.
func (p *plan) checkFlags(r *run) error {
	if p.nflags == 0 {
		return nil
	}
	buf := make([]byte, 8*p.nflags)
	if err := r.e.g.download(buf, r.flags); err != nil {
		return err
	}
	for _, s := range p.steps {
		if s.check == nil {
			continue
		}
		got := make([]int64, len(s.flags))
		for k := range got {
			got[k] = int64(binary.LittleEndian.Uint64(buf[8*(s.flag0+k):]))
		}
		if err := s.check(got); err != nil {
			return &graph.RunError{Node: s.n, Err: err}
		}
	}
	return nil
}

// results hands the outputs over, copying any that shares its buffer with
// a feed, a constant (borrowed) or an earlier output.
func (p *plan) results(r *run, vals map[*graph.Node]*Tensor, owned map[*graph.Node]bool, borrowed map[*buffer]bool) ([]*Tensor, error) {
	res := make([]*Tensor, len(p.outs))
	taken := map[*buffer]bool{}
	for b := range borrowed {
		taken[b] = true
	}
	given := map[*graph.Node]bool{}
	var drop []*buffer
	for k, o := range p.outs {
		t := vals[o]
		if t == nil {
			return nil, fmt.Errorf("exec/cuda: output %%%d was not computed", o.ID())
		}
		if taken[t.buf] || given[o] {
			c, err := r.e.clone(r, t)
			if err != nil {
				return nil, err
			}
			if owned[o] && !given[o] {
				drop = append(drop, t.buf)
			}
			res[k] = c
			given[o] = true
			continue
		}
		taken[t.buf], given[o] = true, true
		res[k] = t
	}
	for _, b := range drop {
		r.e.release(b)
	}
	return res, nil
}

// clone copies t into a new buffer on the device.
func (e *engine) clone(r *run, t *Tensor) (*Tensor, error) {
	c, err := e.newTensor(t.dt, t.shape)
	if err != nil || t.size() == 0 {
		return c, err
	}
	cp := strideCopy{esize: elemBytes(t.dt), shape: []int{t.size()}, ss: []int{1}, ds: []int{1}}
	src, err := cp.Source()
	if err != nil {
		return nil, err
	}
	if err := r.launch(cp.launch(src, c.ptr(), t.ptr(), r.sms)); err != nil {
		e.release(c.buf)
		return nil, err
	}
	return c, nil
}
