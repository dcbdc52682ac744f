// Package ref is loom's reference interpreter: every op evaluated by its own
// Eval rule, one node at a time, loops run index by index. It is simple on
// purpose — the living definition of every op and the oracle the optimized
// backends are tested against.
package ref
