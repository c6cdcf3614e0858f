package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// fakeStacks answers DescribeStacks with one stack's outputs, or an error.
type fakeStacks struct {
	outputs map[string]string
	err     error
	calls   int
}

func (f *fakeStacks) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.calls++
	if aws.ToString(in.StackName) != StackName {
		return nil, errors.New("wrong stack name " + aws.ToString(in.StackName))
	}
	if f.err != nil {
		return nil, f.err
	}
	st := cfntypes.Stack{StackName: aws.String(StackName), StackStatus: cfntypes.StackStatusUpdateComplete}
	for k, v := range f.outputs {
		st.Outputs = append(st.Outputs, cfntypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{st}}, nil
}

// settingsTemplate writes a template whose Settings output holds cfg.
func settingsTemplate(t *testing.T, cfg Config) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bucketbell.template.json")
	body := `{"Outputs":{"Settings":{"Value":` + jsonOf(cfg.JSON()) + `}}}`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func configOf(t *testing.T, ctx map[string]any) Config {
	t.Helper()
	all := map[string]any{SettingAdminEmail: "admin@example.com"}
	for k, v := range ctx {
		all[k] = v
	}
	cfg, err := ConfigFromContext(lookupOf(all))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPredeploy(t *testing.T) {
	defaults := configOf(t, nil)
	withCidrs := configOf(t, map[string]any{SettingAgencySourceCidrs: "203.0.113.0/24"})
	longerWindow := configOf(t, map[string]any{SettingDigestWindowSeconds: "120"})
	notFound := &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id bucketbell does not exist"}
	tests := []struct {
		name        string
		deployed    *fakeStacks
		next        Config
		interactive bool
		in, confirm string
		wantErr     error
		want        []string
	}{
		{name: "first deploy", deployed: &fakeStacks{err: notFound}, next: defaults,
			want: []string{"! agencySourceCidrs", "(none)", "first deploy"}},
		{name: "no Settings output", deployed: &fakeStacks{outputs: map[string]string{"BucketName": "b"}}, next: withCidrs,
			want: []string{"records no settings"}},
		{name: "nothing changes", deployed: &fakeStacks{outputs: map[string]string{"Settings": defaults.JSON()}}, next: defaults,
			want: []string{"No setting changes"}},
		{name: "an ordinary setting changes", deployed: &fakeStacks{outputs: map[string]string{"Settings": defaults.JSON()}}, next: longerWindow,
			want: []string{"  digestWindowSeconds: 60 -> 120"}},
		{name: "a forgotten range lifts the restriction: refused without a terminal",
			deployed: &fakeStacks{outputs: map[string]string{"Settings": withCidrs.JSON()}}, next: defaults,
			wantErr: ErrNotConfirmed,
			want:    []string{"! agencySourceCidrs: 203.0.113.0/24 -> (none)  (the addresses the agency may work from)", "WARNING: 1 security setting"}},
		{name: "CONFIRM=yes goes on", deployed: &fakeStacks{outputs: map[string]string{"Settings": withCidrs.JSON()}}, next: defaults,
			confirm: "yes", want: []string{"CONFIRM=yes: going on"}},
		{name: "asked, answered yes", deployed: &fakeStacks{outputs: map[string]string{"Settings": defaults.JSON()}}, next: withCidrs,
			interactive: true, in: "yes\n", want: []string{"Type yes to go on"}},
		{name: "asked, answered no", deployed: &fakeStacks{outputs: map[string]string{"Settings": defaults.JSON()}}, next: withCidrs,
			interactive: true, in: "\n", wantErr: ErrNotConfirmed},
		{name: "the key rotates", deployed: &fakeStacks{outputs: map[string]string{"Settings": defaults.JSON()}},
			next: configOf(t, map[string]any{SettingAccessKeySerial: "2"}), confirm: "yes",
			want: []string{"! accessKeySerial: 1 -> 2  (replaces the agency's access key: the old one stops working at once)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := &Predeploy{Stacks: tt.deployed, In: strings.NewReader(tt.in), Out: &out, Interactive: tt.interactive, Confirm: tt.confirm}
			err := p.Run(context.Background(), settingsTemplate(t, tt.next))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v\n%s", err, tt.wantErr, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	t.Run("a failing call says where it failed", func(t *testing.T) {
		p := &Predeploy{Stacks: &fakeStacks{err: errors.New("no credentials")}, Out: &bytes.Buffer{}}
		err := p.Run(context.Background(), settingsTemplate(t, defaults))
		if err == nil || !strings.Contains(err.Error(), "predeploy: describe stack bucketbell with the credentials and Region cdk deploy will use: no credentials") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("no template", func(t *testing.T) {
		f := &fakeStacks{}
		err := (&Predeploy{Stacks: f, Out: &bytes.Buffer{}}).Run(context.Background(), filepath.Join(t.TempDir(), "missing.json"))
		if err == nil || !strings.Contains(err.Error(), "run make synth first") || f.calls != 0 {
			t.Errorf("error %v after %d calls", err, f.calls)
		}
	})
}

func TestSettingsRoundTrip(t *testing.T) {
	for name, ctx := range variants {
		cfg := configOf(t, ctx)
		got, err := ParseSettings(cfg.JSON())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := DiffSettings(cfg, got); len(diff) != 0 {
			t.Errorf("%s: settings change on the way back: %+v", name, diff)
		}
	}
}
