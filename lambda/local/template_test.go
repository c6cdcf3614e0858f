package local

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// testdata/template.json is the stack's synthesized template (make synth
// with digestWindowSeconds=3) cut down to the resources a Plan reads.

func TestReadPlan(t *testing.T) {
	p, err := ReadPlan("testdata/template.json", "local-images", "local-history")
	if err != nil {
		t.Fatal(err)
	}
	if p.BucketID != "ImageBucket97210811" || !p.Versioned {
		t.Errorf("bucket %s versioned %v", p.BucketID, p.Versioned)
	}
	if want := []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}; !reflect.DeepEqual(p.Events, want) {
		t.Errorf("events %v, want %v", p.Events, want)
	}
	if p.AgencyUser != "mediacouser" || p.TopicName != "s3NotificationTopic" {
		t.Errorf("user %q topic %q", p.AgencyUser, p.TopicName)
	}
	if p.BatchSize != 1000 || p.Window != 3*time.Second || p.MaxConcurrency != 2 || !p.ReportBatchItemFailures || p.MaxReceiveCount != 5 {
		t.Errorf("mapping: batch %d window %v concurrency %d report %v maxReceiveCount %d",
			p.BatchSize, p.Window, p.MaxConcurrency, p.ReportBatchItemFailures, p.MaxReceiveCount)
	}
	if p.FunctionTimeout != 120*time.Second {
		t.Errorf("function timeout %v", p.FunctionTimeout)
	}

	// The S3 statements are kept with the bucket resolved; IAM
	// self-service and the MFA guard are left out. (The ACL Deny is
	// kept here: MinIO itself refuses it when the policy is installed.)
	wantAgency := []string{"ListBucket", "ReadWriteObjects", "DenyVersionDeletion", "DenyAclChanges", "DenyBucketConfigurationChanges",
		"DenyOtherStorageClasses", "DenyOtherEncryption"}
	if got := p.AgencyPolicy.Sids(); !reflect.DeepEqual(got, wantAgency) {
		t.Errorf("agency statements %v, want %v", got, wantAgency)
	}
	dropped := map[string]string{}
	for _, d := range p.AgencyPolicy.Dropped {
		dropped[d.Sid] = d.Reason
	}
	for _, sid := range []string{"ReadAccountPasswordPolicyAndMfaDevices", "CreateOwnMfaDevice", "ManageOwnPasswordAndMfa", "DenyConsoleWithoutMfa", "DenyIamWithAccessKey"} {
		if dropped[sid] == "" {
			t.Errorf("%s was not left out; dropped: %v", sid, dropped)
		}
	}
	doc, err := p.AgencyPolicy.Document()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"arn:aws:s3:::local-images"`, `"arn:aws:s3:::local-images/*"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("agency policy lacks %s:\n%s", want, doc)
		}
	}
	if strings.Contains(string(doc), "Fn::") || strings.Contains(string(doc), "iam:") {
		t.Errorf("agency policy keeps an intrinsic function or an IAM action:\n%s", doc)
	}
	// The agency has no right in the history bucket: nothing of its
	// policy names it, so MinIO denies it as AWS would.
	if strings.Contains(string(doc), "local-history") {
		t.Errorf("agency policy names the history bucket:\n%s", doc)
	}

	if got, want := p.NotifierPolicy.Sids(), []string{"KeepRecords", "ReadObjects", "ListObjectVersions"}; !reflect.DeepEqual(got, want) {
		t.Errorf("notifier statements %v, want %v", got, want)
	}
}

// TestReadPlanHistory: the history bucket is the one HISTORY_BUCKET refers
// to; the notifier gets its local name and may create records under
// changes/ only if If-None-Match is sent (the condition is left for MinIO
// to judge); the bucket policy keeps its Deny of other writes and loses
// the TLS statements.
func TestReadPlanHistory(t *testing.T) {
	p, err := ReadPlan("testdata/template.json", "local-images", "local-history")
	if err != nil {
		t.Fatal(err)
	}
	if p.HistoryBucketID != "HistoryBucket4D953918" || p.HistoryBucket != "local-history" || !p.HistoryVersioned {
		t.Errorf("history bucket %q local %q versioned %v", p.HistoryBucketID, p.HistoryBucket, p.HistoryVersioned)
	}
	if got := p.FunctionEnv["HISTORY_BUCKET"]; got != "local-history" {
		t.Errorf("HISTORY_BUCKET=%q, want the local name local-history", got)
	}

	keep := statementBySid(t, p.NotifierPolicy, "KeepRecords")
	want := Statement{
		"Sid": "KeepRecords", "Effect": "Allow", "Action": []string{"s3:PutObject"},
		"Resource":  []string{"arn:aws:s3:::local-history/changes/*"},
		"Condition": map[string]any{"Null": map[string]any{"s3:if-none-match": "false"}},
	}
	if !reflect.DeepEqual(keep, want) {
		t.Errorf("KeepRecords is\n%#v\nwant\n%#v", keep, want)
	}

	if got := p.HistoryPolicy.Sids(); !reflect.DeepEqual(got, []string{"DenyOverwritingRecords"}) {
		t.Errorf("history bucket policy statements %v, want [DenyOverwritingRecords]", got)
	}
	deny := statementBySid(t, p.HistoryPolicy, "DenyOverwritingRecords")
	if !reflect.DeepEqual(deny["Resource"], []string{"arn:aws:s3:::local-history/*"}) || deny["Effect"] != "Deny" {
		t.Errorf("DenyOverwritingRecords is %v", deny)
	}
	if len(p.HistoryPolicy.Dropped) != 2 {
		t.Errorf("history bucket policy: %d statements left out, want the 2 that require TLS: %v", len(p.HistoryPolicy.Dropped), p.HistoryPolicy.Dropped)
	}
	for _, d := range p.HistoryPolicy.Dropped {
		if !strings.Contains(d.Reason, "TLS") {
			t.Errorf("history bucket policy: %s left out for %q, want TLS", d.Sid, d.Reason)
		}
	}
	doc, err := p.HistoryPolicy.Document()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), "Fn::") {
		t.Errorf("history bucket policy keeps an intrinsic function:\n%s", doc)
	}
}

// TestReadPlanWithoutHistory: a template whose notifier keeps no record
// runs without a history bucket.
func TestReadPlanWithoutHistory(t *testing.T) {
	path := changedTemplate(t, func(res map[string]any) {
		vars := res["NotifierDFD80165"].(map[string]any)["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
		delete(vars, "HISTORY_BUCKET")
	})
	p, err := ReadPlan(path, "local-images", "local-history")
	if err != nil {
		t.Fatal(err)
	}
	if p.HistoryBucketID != "" || p.HistoryBucket != "" || len(p.HistoryPolicy.Statements) != 0 {
		t.Errorf("history bucket %q (%q), policy %v: want none", p.HistoryBucketID, p.HistoryBucket, p.HistoryPolicy.Sids())
	}
	if _, ok := p.FunctionEnv["HISTORY_BUCKET"]; ok {
		t.Errorf("HISTORY_BUCKET is set: %v", p.FunctionEnv)
	}
	// KeepRecords names a bucket that is not run: left out, with why.
	if slices.Contains(p.NotifierPolicy.Sids(), "KeepRecords") {
		t.Errorf("KeepRecords kept without a history bucket: %v", p.NotifierPolicy.Sids())
	}
}

func statementBySid(t *testing.T, p Policy, sid string) Statement {
	t.Helper()
	for _, s := range p.Statements {
		if s.Sid() == sid {
			return s
		}
	}
	t.Fatalf("no statement %s in %v (left out: %v)", sid, p.Sids(), p.Dropped)
	return nil
}

// changedTemplate writes testdata/template.json, changed, to a temporary
// file and returns its path.
func changedTemplate(t *testing.T, change func(res map[string]any)) string {
	t.Helper()
	base, err := os.ReadFile("testdata/template.json")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(base, &tmpl); err != nil {
		t.Fatal(err)
	}
	change(tmpl["Resources"].(map[string]any))
	b, _ := json.Marshal(tmpl)
	path := filepath.Join(t.TempDir(), "t.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadPlanErrors(t *testing.T) {
	notifierVars := func(res map[string]any) map[string]any {
		fn := res["NotifierDFD80165"].(map[string]any)["Properties"].(map[string]any)
		return fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	}
	tests := []struct {
		name   string
		change func(res map[string]any)
		want   string
	}{
		{"no notifications", func(res map[string]any) { delete(res, "ImageBucketNotifications51091307") }, "Custom::S3BucketNotifications"},
		{"two users", func(res map[string]any) {
			res["Second"] = map[string]any{"Type": "AWS::IAM::User", "Properties": map[string]any{"UserName": "x"}}
		}, "exactly one AWS::IAM::User"},
		{"AWS-managed policy", func(res map[string]any) {
			g := res["AgencyGroup5EFD1D8A"].(map[string]any)
			g["Properties"] = map[string]any{"ManagedPolicyArns": []any{"arn:aws:iam::aws:policy/AmazonS3FullAccess"}}
		}, "not in the stack"},
		{"unresolvable variable", func(res map[string]any) {
			notifierVars(res)["OTHER"] = map[string]any{"Ref": "Somewhere"}
		}, "cannot resolve"},
		{"history bucket outside the stack", func(res map[string]any) {
			notifierVars(res)["HISTORY_BUCKET"] = "someone-elses-bucket"
		}, "not a Ref to a bucket in the stack"},
		{"history in a queue", func(res map[string]any) {
			notifierVars(res)["HISTORY_BUCKET"] = map[string]any{"Ref": "EventQueueFD722DCD"}
		}, "not a Ref to a bucket in the stack"},
		{"history in the image bucket", func(res map[string]any) {
			notifierVars(res)["HISTORY_BUCKET"] = map[string]any{"Ref": "ImageBucket97210811"}
		}, "names the image bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPlan(changedTemplate(t, tt.change), "b", "h")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one that mentions %q", err, tt.want)
			}
		})
	}
}

func TestResolveStatement(t *testing.T) {
	r := &resolver{buckets: map[string]string{"Img": "local", "Hist": "history"}}
	tests := []struct {
		name      string
		statement string
		resources []string // nil: dropped
		bucket    bool     // a bucket policy's statement
		why       string   // for a dropped statement, part of the reason
	}{
		{"bucket arn", `{"Action":"s3:ListBucket","Effect":"Allow","Resource":{"Fn::GetAtt":["Img","Arn"]}}`, []string{"arn:aws:s3:::local"}, false, ""},
		{"objects", `{"Action":["s3:GetObject"],"Effect":"Allow","Resource":{"Fn::Join":["",[{"Fn::GetAtt":["Img","Arn"]},"/*"]]}}`, []string{"arn:aws:s3:::local/*"}, false, ""},
		{"partition join", `{"Action":"s3:GetObject","Effect":"Allow","Resource":{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::",{"Ref":"Img"},"/*"]]}}`, []string{"arn:aws:s3:::local/*"}, false, ""},
		{"other bucket", `{"Action":"s3:GetObject","Effect":"Allow","Resource":{"Fn::GetAtt":["Logs","Arn"]}}`, nil, false, "not run locally"},
		{"iam action", `{"Action":["s3:GetObject","iam:GetUser"],"Effect":"Allow","Resource":"*"}`, nil, false, "iam:GetUser"},
		{"not action", `{"NotAction":"s3:GetObject","Effect":"Deny","Resource":"*"}`, nil, false, "NotAction"},
		{"mfa", `{"Action":"s3:GetObject","Effect":"Deny","Resource":"arn:aws:s3:::local/*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`, nil, false, "MFA"},
		{"if exists", `{"Action":"s3:GetObject","Effect":"Deny","Resource":"arn:aws:s3:::local/*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}`, nil, false, "IfExists"},
		{"not s3 arn", `{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}`, nil, false, "not an S3 ARN"},
		{"prefix condition kept", `{"Action":"s3:ListBucket","Effect":"Allow","Resource":{"Fn::GetAtt":["Img","Arn"]},"Condition":{"StringLike":{"s3:prefix":["agency/*"]}}}`, []string{"arn:aws:s3:::local"}, false, ""},
		{"history objects", `{"Action":"s3:PutObject","Effect":"Allow","Resource":{"Fn::Join":["",[{"Fn::GetAtt":["Hist","Arn"]},"/changes/*"]]},"Condition":{"Null":{"s3:if-none-match":"false"}}}`, []string{"arn:aws:s3:::history/changes/*"}, false, ""},
		{"history by name", `{"Action":"s3:PutObject","Effect":"Allow","Resource":{"Fn::Join":["",["arn:aws:s3:::",{"Ref":"Hist"},"/*"]]}}`, []string{"arn:aws:s3:::history/*"}, false, ""},
		{"principal in a user policy", `{"Action":"s3:GetObject","Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::local/*"}`, nil, false, "Principal"},
		{"bucket policy, everyone", `{"Action":"s3:PutObject","Effect":"Deny","Principal":{"AWS":"*"},"Resource":{"Fn::Join":["",[{"Fn::GetAtt":["Hist","Arn"]},"/*"]]},"Condition":{"Null":{"s3:if-none-match":"true"}}}`, []string{"arn:aws:s3:::history/*"}, true, ""},
		{"bucket policy, star", `{"Action":"s3:PutObject","Effect":"Deny","Principal":"*","Resource":"arn:aws:s3:::history/*"}`, []string{"arn:aws:s3:::history/*"}, true, ""},
		{"bucket policy, a role", `{"Action":"s3:PutObject","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/x"},"Resource":"arn:aws:s3:::history/*"}`, nil, true, ""},
		{"bucket policy, no principal", `{"Action":"s3:PutObject","Effect":"Allow","Resource":"arn:aws:s3:::history/*"}`, nil, true, ""},
		{"bucket policy, not principal", `{"Action":"s3:PutObject","Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"x"},"Resource":"arn:aws:s3:::history/*"}`, nil, true, ""},
		{"secure transport", `{"Action":"s3:*","Effect":"Deny","Principal":{"AWS":"*"},"Resource":"arn:aws:s3:::history/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, nil, true, "TLS"},
		{"tls version", `{"Action":"s3:*","Effect":"Deny","Principal":{"AWS":"*"},"Resource":"arn:aws:s3:::history/*","Condition":{"NumericLessThan":{"s3:TlsVersion":1.2}}}`, nil, true, "TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Statement
			if err := json.Unmarshal([]byte(tt.statement), &s); err != nil {
				t.Fatal(err)
			}
			got, reason := r.statement(s, tt.bucket)
			if tt.resources == nil {
				if !strings.Contains(reason, tt.why) || reason == "" {
					t.Errorf("kept %v or dropped for %q, want it dropped for %q", got, reason, tt.why)
				}
				return
			}
			if reason != "" {
				t.Fatalf("dropped: %s", reason)
			}
			if !reflect.DeepEqual(got["Resource"], tt.resources) {
				t.Errorf("resources %v, want %v", got["Resource"], tt.resources)
			}
		})
	}
}
