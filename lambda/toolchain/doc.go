// Package toolchain holds the tests of the project's developer interface:
// the Makefile (make help lists every target) and the scripts in .ci that
// check prerequisites, retry downloads and install the local stand-ins. It
// has no code of its own; the tests run from the repository's root (see
// TestMain), as a person runs make.
package toolchain
