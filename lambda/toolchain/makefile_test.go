// Package bucketbell_test tests the project's tooling rather than its code:
// the Makefile, which is the user's interface, and the scripts in .ci that
// it runs.
package toolchain_test

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// internalTargets are phony targets the user is not meant to type, so
// `make help` leaves them out. The need-* checks are internal too.
var internalTargets = map[string]bool{"FORCE": true, "local-stack": true, "go-modules": true, "standins": true}

// makeCmd runs make in this directory with a clean make environment: a
// `make test` around this test must not pass its flags (jobserver, -s) on.
func makeCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	cmd := exec.Command("make", args...)
	cmd.Env = withoutMake(os.Environ())
	return cmd
}

func withoutMake(env []string) []string {
	var out []string
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BUCKETBELL_GOAL":
			continue
		}
		out = append(out, e)
	}
	return out
}

// database returns the Makefile's targets and its .PHONY ones, as make
// itself reads them (variables expanded), from `make -p`.
func database(t *testing.T) (targets, phony map[string]bool) {
	t.Helper()
	// -q runs no recipe; its exit status says only whether help is up to
	// date, so it is ignored.
	out, _ := makeCmd(t, "-pqr", "help").Output()
	targets, phony = map[string]bool{}, map[string]bool{}
	rule := regexp.MustCompile(`^([^\s#:=][^:=]*):(?:[^=]|$)`)
	inFiles, notTarget := false, false
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "# Files":
			inFiles = true
		case strings.HasPrefix(line, "# Finished Make data base"):
			inFiles = false
		case line == "# Not a target:":
			notTarget = true
		case inFiles:
			m := rule.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if notTarget {
				notTarget = false
				continue
			}
			for _, name := range strings.Fields(m[1]) {
				targets[name] = true
			}
			if m[1] == ".PHONY" {
				for _, name := range strings.Fields(line[len(".PHONY:"):]) {
					phony[name] = true
				}
			}
		}
	}
	if len(phony) == 0 || !targets["help"] {
		t.Fatalf("make -p printed no .PHONY line or no help target:\n%.2000s", out)
	}
	return targets, phony
}

// help runs `make -s` with the given goals and returns the targets it
// lists with their descriptions, in order.
func help(t *testing.T, goals ...string) ([]string, map[string]string, string) {
	t.Helper()
	out, err := makeCmd(t, append([]string{"-s"}, goals...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("make -s %s: %v\n%s", strings.Join(goals, " "), err, out)
	}
	var order []string
	desc := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if !strings.HasPrefix(line, "  ") {
			continue
		}
		name, text, _ := strings.Cut(strings.TrimSpace(line), " ")
		if _, dup := desc[name]; dup {
			t.Errorf("make help lists %s twice", name)
		}
		order = append(order, name)
		desc[name] = strings.TrimSpace(text)
	}
	return order, desc, string(out)
}

func TestHelpIsTheDefaultGoal(t *testing.T) {
	// Asked of make's database first: were the default anything else,
	// running plain make here could start the whole test suite.
	out, _ := makeCmd(t, "-pqr", "help").Output()
	goal := regexp.MustCompile(`(?m)^\.DEFAULT_GOAL := (\S+)$`).FindSubmatch(out)
	if goal == nil || string(goal[1]) != "help" {
		t.Fatalf("make's default goal is %q, want help", goal)
	}
	_, _, plain := help(t)
	_, _, explicit := help(t, "help")
	if plain != explicit {
		t.Errorf("make alone printed\n%s\nwant what make help prints:\n%s", plain, explicit)
	}
}

func TestHelpListsEveryTarget(t *testing.T) {
	targets, phony := database(t)
	order, desc, out := help(t, "help")
	if len(order) == 0 {
		t.Fatalf("make help lists no target:\n%s", out)
	}
	// Every listed target exists and says what it does.
	for _, name := range order {
		if !targets[name] {
			t.Errorf("make help lists %s, which is not a target", name)
		}
		if desc[name] == "" {
			t.Errorf("make help lists %s without a description", name)
		}
	}
	// Every phony target the user may type is listed.
	var missing []string
	for name := range phony {
		if internalTargets[name] || strings.HasPrefix(name, "need-") {
			continue
		}
		if _, ok := desc[name]; !ok {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("phony targets without a `## target: description` line, so missing from make help: %v\n%s", missing, out)
	}
	// The targets the README and the issue name, whatever .PHONY says.
	for _, name := range []string{"help", "test", "fuzz", "replay", "replay-review", "history", "build", "synth", "deploy", "verify-deploy", "destroy", "e2e", "demo", "bench", "clean"} {
		if _, ok := desc[name]; !ok {
			t.Errorf("make help does not list %s", name)
		}
	}
}

// TestHelpDescriptionsAreOneLine reads the Makefile: each `## name:` line
// has its description on the same line, and names a target defined below
// it, so the list cannot drift from the rules.
func TestHelpDescriptionsAreOneLine(t *testing.T) {
	b, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	comment := regexp.MustCompile(`^## ([A-Za-z0-9_.-]+): (\S.*)$`)
	for i, line := range lines {
		if !strings.HasPrefix(line, "## ") {
			continue
		}
		m := comment.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("Makefile:%d: %q is not `## target: description`", i+1, line)
			continue
		}
		defined := false
		for _, l := range lines[i+1:] {
			if strings.HasPrefix(l, m[1]+":") {
				defined = true
				break
			}
			if strings.HasPrefix(l, "## ") {
				break
			}
		}
		if !defined {
			t.Errorf("Makefile:%d: ## %s: no rule for %s follows before the next ## line", i+1, m[1], m[1])
		}
	}
}
