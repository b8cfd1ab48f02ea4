// Package topology is netlab's file format: the types a topology file decodes
// into, strict decoding (unknown keys, duplicate keys and tabs are errors),
// the merge of `defaults` into every node, and validation.
//
// It is pure Go with no root and no Linux calls, so it builds and tests
// anywhere. Every error names FILE:LINE:COL and says what to write instead;
// all errors of a file are returned together (errors.Join of *Error), never
// just the first one.
//
// The types here are the file as written, after defaults are merged and
// values parsed. What a running lab needs beyond that (pids, namespaces,
// uid ranges) lives in package netlab, not here.
package topology
