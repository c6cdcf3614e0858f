package toolchain_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the tests from the repository's root, where the Makefile
// and .ci are, as a person runs them.
func TestMain(m *testing.M) {
	if err := os.Chdir("../.."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
