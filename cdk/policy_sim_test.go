package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// simulatorPackage is the IAM evaluator the policy tests run: an npm
// devDependency, pinned in package.json and installed by `npm ci`.
const simulatorPackage = "@cloud-copilot/iam-simulate"

// simulation is one request in the evaluator's Simulation shape.
type simulation struct {
	Request                    simRequest     `json:"request"`
	IdentityPolicies           []namedPolicy  `json:"identityPolicies"`
	ServiceControlPolicies     []any          `json:"serviceControlPolicies"`
	ResourceControlPolicies    []any          `json:"resourceControlPolicies"`
	ResourcePolicy             map[string]any `json:"resourcePolicy,omitempty"`
	PermissionBoundaryPolicies []namedPolicy  `json:"permissionBoundaryPolicies,omitempty"`
	// UncheckedContextKeys are evaluated although the evaluator's request
	// validator would drop them (see testdata/simulate.mjs).
	UncheckedContextKeys []string `json:"uncheckedContextKeys,omitempty"`
}

type simRequest struct {
	Principal        string            `json:"principal"`
	Action           string            `json:"action"`
	Resource         simResource       `json:"resource"`
	ContextVariables map[string]string `json:"contextVariables"`
}

type simResource struct {
	Resource  string `json:"resource"`
	AccountID string `json:"accountId"`
}

// simResult is testdata/simulate.mjs's answer for one simulation.
type simResult struct {
	ResultType         string   `json:"resultType"`
	OverallResult      string   `json:"overallResult"`
	Error              string   `json:"error"`
	IgnoredContextKeys []string `json:"ignoredContextKeys"`
}

// simulate evaluates every simulation in one node process.
func simulate(t *testing.T, sims []simulation) []simResult {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSimulator(root); err != nil {
		t.Fatalf("policy evaluation: %v: run `npm ci` in the repository root (make test does)", err)
	}
	in, err := json.Marshal(sims)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	defer func() { t.Logf("evaluated %d requests in %v", len(sims), time.Since(start).Round(time.Millisecond)) }()
	cmd := exec.Command("node", filepath.Join("testdata", "simulate.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("policy evaluation: node testdata/simulate.mjs: %v\n%s", err, stderr.String())
	}
	var out []simResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("policy evaluation: read the results: %v", err)
	}
	if len(out) != len(sims) {
		t.Fatalf("policy evaluation: %d results for %d simulations", len(out), len(sims))
	}
	return out
}

// checkSimulator reports a missing node, or an evaluator that is missing
// or not the version package.json pins.
func checkSimulator(root string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node not found: %w", err)
	}
	var pkg struct {
		Version         string            `json:"version"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &pkg)
	}
	if err != nil {
		return fmt.Errorf("read package.json: %w", err)
	}
	want := pkg.DevDependencies[simulatorPackage]
	b, err = os.ReadFile(filepath.Join(root, "node_modules", filepath.FromSlash(simulatorPackage), "package.json"))
	if err != nil {
		return fmt.Errorf("%s %s is not installed", simulatorPackage, want)
	}
	pkg.Version = ""
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Version != want {
		return fmt.Errorf("%s %s is installed, package.json pins %q", simulatorPackage, pkg.Version, want)
	}
	return nil
}

// allowed reports whether the evaluator allows the request.
func (r simResult) allowed() bool { return r.OverallResult == "Allowed" }

// verdict is the result in the README's words.
func verdict(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}

// problem returns why a result cannot be trusted, or "".
func (r simResult) problem() string {
	switch {
	case r.ResultType == "error":
		return "the evaluator refused the simulation: " + r.Error
	case r.ResultType != "single" && r.ResultType != "wildcard":
		return fmt.Sprintf("unexpected result type %q", r.ResultType)
	case len(r.IgnoredContextKeys) > 0:
		// The evaluator drops keys that do not apply to the action: the
		// case would not test what it says.
		return "the evaluator ignored context keys that do not apply to this action: " + strings.Join(r.IgnoredContextKeys, ", ")
	}
	return ""
}
