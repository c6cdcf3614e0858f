package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// assetDir holds a dummy bootstrap: the tests need no real build.
var assetDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// jsii.Close stops the node process and removes its /tmp/jsii-runtime.*
	// folder; deferred so that it runs before os.Exit.
	defer jsii.Close()
	dir, err := os.MkdirTemp("", "bucketbell-asset-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	assetDir = dir
	return m.Run()
}

// fixture is one synthesized stack, with the cdk-nag packs applied.
type fixture struct {
	stack awscdk.Stack
	cfg   Config
	tpl   assertions.Template
	// json is the template as plain Go values, for checks that read more
	// naturally in Go than as assertion matchers.
	json map[string]any
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[string]*fixture{}
)

// variants are the settings the tests synthesize, by name. adminEmail is
// added to each.
var variants = map[string]map[string]any{
	"default":   {},
	"prefix":    {SettingKeyPrefix: "agency/uploads"},
	"noconsole": {SettingConsoleAccess: "false"},
	"nokey":     {SettingCLIAccessKey: "false"},
	"nameroles": {SettingNameRoles: "true"},
	"cidrs":     {SettingAgencySourceCidrs: "203.0.113.0/24, 2001:db8::/32"},
	"custom": {
		SettingBucketName: "acme-product-images", SettingMediaUserName: "agencyjane",
		SettingDigestWindowSeconds: "300", SettingNoncurrentVersionDays: "90",
		SettingLifecycleEvents: "true", SettingRestoreEvents: "true", SettingHistoryDays: "30",
		SettingAdminEmail:     "ops@acme.example,cto@acme.example,ops@acme.example",
		SettingReviewSchedule: " cron(0  6 ? * MON *) ",
	},
}

// variant synthesizes (once) the stack for a named variant.
func variant(t *testing.T, name string) *fixture {
	t.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[name]; ok {
		return f
	}
	ctx := map[string]any{SettingAdminEmail: "admin@example.com"}
	for k, v := range variants[name] {
		ctx[k] = v
	}
	cfg, err := ConfigFromContext(lookupOf(ctx))
	if err != nil {
		t.Fatalf("variant %s: %v", name, err)
	}
	f := synthesize(t, "variant "+name, cfg, true)
	fixtures[name] = f
	return f
}

// synthesize builds the stack for cfg, with the cdk-nag packs when nag is
// set, and reads its template.
func synthesize(t *testing.T, what string, cfg Config, nag bool) *fixture {
	t.Helper()
	f := &fixture{cfg: cfg}
	must(t, "synthesize "+what, func() {
		app := NewApp()
		f.stack = NewBucketbellStack(app, StackName, &BucketbellStackProps{Config: cfg, NotifierAssetDir: assetDir, ReviewerAssetDir: assetDir})
		if nag {
			applyNagPacks(app)
		}
		f.tpl = assertions.Template_FromStack(f.stack, nil)
	})
	raw, err := json.Marshal(f.tpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &f.json); err != nil {
		t.Fatal(err)
	}
	return f
}

// wantStatement is a statement's expected actions (sorted) and resource.
type wantStatement struct {
	actions  []string
	resource any
}

// checkStatements asserts that got holds exactly the statements of want,
// each an Allow with those actions on that resource.
func checkStatements(t *testing.T, got map[string]map[string]any, want map[string]wantStatement) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("statements %v, want exactly %d", keys(got), len(want))
	}
	for sid, w := range want {
		st, ok := got[sid]
		if !ok {
			t.Errorf("no statement %s", sid)
			continue
		}
		if st["Effect"] != "Allow" || !reflect.DeepEqual(strs(st["Action"]), w.actions) || jsonOf(st["Resource"]) != jsonOf(w.resource) {
			t.Errorf("%s: %s", sid, jsonOf(st))
		}
	}
}

// applyNagPacks adds the three cdk-nag packs bucketbell must pass.
func applyNagPacks(app awscdk.App) {
	props := &cdknag.NagPackProps{Reports: jsii.Bool(false), Verbose: jsii.Bool(true)}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(props), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(props), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewNIST80053R5Checks(props), nil)
}

// must runs f and turns a panic, which is how a failed CDK assertion or a
// jsii error surfaces in Go, into a readable test failure.
func must(t *testing.T, what string, f func()) {
	t.Helper()
	if msg := recovered(f); msg != "" {
		t.Fatalf("%s:\n%s", what, msg)
	}
}

// check is must for assertions that should not stop the test.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	if msg := recovered(f); msg != "" {
		t.Errorf("%s:\n%s", what, msg)
	}
}

// recovered runs f and returns the message of its panic, or "".
func recovered(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// resources returns the template's resources of a type, by logical id.
func (f *fixture) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range f.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// resource returns the one resource whose logical id starts with prefix.
func (f *fixture) resource(t *testing.T, prefix string) map[string]any {
	t.Helper()
	var found []string
	for id := range f.json["Resources"].(map[string]any) {
		if strings.HasPrefix(id, prefix) && len(id) == len(prefix)+8 { // CDK adds an 8-hex hash
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one resource with logical id %s<hash>, found %v", prefix, found)
	}
	return f.json["Resources"].(map[string]any)[found[0]].(map[string]any)
}

// top returns the resource of a construct made directly in the stack
// with a Cfn* (L1) class: its logical id is its construct id, without a
// hash.
func (f *fixture) top(t *testing.T, id string) map[string]any {
	t.Helper()
	r, ok := f.json["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource with logical id %s", id)
	}
	return r
}

// logicalID returns the logical id that starts with prefix.
func (f *fixture) logicalID(t *testing.T, prefix string) string {
	t.Helper()
	for id := range f.json["Resources"].(map[string]any) {
		if strings.HasPrefix(id, prefix) && len(id) == len(prefix)+8 {
			return id
		}
	}
	t.Fatalf("no resource with logical id %s<hash>", prefix)
	return ""
}

func props(r map[string]any) map[string]any { return r["Properties"].(map[string]any) }

// statementsBySid returns a policy document's statements by Sid, failing
// the test on a statement without one.
func statementsBySid(t *testing.T, doc any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, s := range doc.(map[string]any)["Statement"].([]any) {
		st := s.(map[string]any)
		sid, _ := st["Sid"].(string)
		if sid == "" {
			t.Errorf("statement without Sid: %v", st)
			continue
		}
		out[sid] = st
	}
	return out
}

// strs returns a policy field that may be a string or a list as a sorted
// list of strings (tokens as their JSON).
func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case nil:
	case string:
		out = []string{x}
	case []any:
		for _, e := range x {
			out = append(out, strs(e)...)
		}
	default:
		b, _ := json.Marshal(x)
		out = []string{string(b)}
	}
	sort.Strings(out)
	return out
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	return reflect.DeepEqual(sorted(a...), sorted(b...))
}

func sorted(s ...string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// jsonOf renders a template fragment for comparison and messages.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ref and getAtt are the template's references to a logical id.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }
func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// objectsOf is the object ARN pattern of a bucket, as CDK writes it.
func objectsOf(bucketID, pattern string) map[string]any {
	return map[string]any{"Fn::Join": []any{"", []any{getAtt(bucketID, "Arn"), "/" + pattern}}}
}

// actionMatches reports whether an IAM action pattern (with * and ?)
// covers action, case-insensitively as IAM compares them.
func actionMatches(pattern, action string) bool {
	ok, _ := filepath.Match(strings.ToLower(pattern), strings.ToLower(action))
	return ok
}
