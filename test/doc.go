// Package test holds netlab's whole-lab integration tests: they bring real
// labs up with the netlab binary and the Go API, send real packets, check
// isolation and bad input, and check that nothing is left afterwards.
//
// They need root. Without it they skip, except when CI is set, where they
// fail: a skipped suite must never pass for a green one.
package test
