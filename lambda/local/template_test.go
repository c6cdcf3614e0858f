package local

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testdata/template.json is the stack's synthesized template (make synth
// with digestWindowSeconds=3) cut down to the resources a Plan reads.

func TestReadPlan(t *testing.T) {
	p, err := ReadPlan("testdata/template.json", "local-images")
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
	wantAgency := []string{"ListBucket", "ReadWriteObjects", "DenyVersionDeletion", "DenyAclChanges", "DenyBucketConfigurationChanges"}
	if got := p.AgencyPolicy.Sids(); !reflect.DeepEqual(got, wantAgency) {
		t.Errorf("agency statements %v, want %v", got, wantAgency)
	}
	dropped := map[string]string{}
	for _, d := range p.AgencyPolicy.Dropped {
		dropped[d.Sid] = d.Reason
	}
	for _, sid := range []string{"ReadAccountPasswordPolicyAndMfaDevices", "CreateOwnMfaDevice", "ManageOwnPasswordAndMfa", "DenyConsoleWithoutMfa"} {
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

	if got, want := p.NotifierPolicy.Sids(), []string{"ReadObjects", "ListObjectVersions"}; !reflect.DeepEqual(got, want) {
		t.Errorf("notifier statements %v, want %v", got, want)
	}
}

func TestReadPlanErrors(t *testing.T) {
	base, err := os.ReadFile("testdata/template.json")
	if err != nil {
		t.Fatal(err)
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
			fn := res["NotifierDFD80165"].(map[string]any)["Properties"].(map[string]any)
			fn["Environment"].(map[string]any)["Variables"].(map[string]any)["OTHER"] = map[string]any{"Ref": "Somewhere"}
		}, "cannot resolve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tmpl map[string]any
			if err := json.Unmarshal(base, &tmpl); err != nil {
				t.Fatal(err)
			}
			tt.change(tmpl["Resources"].(map[string]any))
			b, _ := json.Marshal(tmpl)
			path := filepath.Join(t.TempDir(), "t.json")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadPlan(path, "b")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one that mentions %q", err, tt.want)
			}
		})
	}
}

func TestResolveStatement(t *testing.T) {
	r := &resolver{bucketID: "Img", bucket: "local"}
	tests := []struct {
		name      string
		statement string
		resources []string // nil: dropped
	}{
		{"bucket arn", `{"Action":"s3:ListBucket","Effect":"Allow","Resource":{"Fn::GetAtt":["Img","Arn"]}}`, []string{"arn:aws:s3:::local"}},
		{"objects", `{"Action":["s3:GetObject"],"Effect":"Allow","Resource":{"Fn::Join":["",[{"Fn::GetAtt":["Img","Arn"]},"/*"]]}}`, []string{"arn:aws:s3:::local/*"}},
		{"partition join", `{"Action":"s3:GetObject","Effect":"Allow","Resource":{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::",{"Ref":"Img"},"/*"]]}}`, []string{"arn:aws:s3:::local/*"}},
		{"other bucket", `{"Action":"s3:GetObject","Effect":"Allow","Resource":{"Fn::GetAtt":["Logs","Arn"]}}`, nil},
		{"iam action", `{"Action":["s3:GetObject","iam:GetUser"],"Effect":"Allow","Resource":"*"}`, nil},
		{"not action", `{"NotAction":"s3:GetObject","Effect":"Deny","Resource":"*"}`, nil},
		{"mfa", `{"Action":"s3:GetObject","Effect":"Deny","Resource":"arn:aws:s3:::local/*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`, nil},
		{"if exists", `{"Action":"s3:GetObject","Effect":"Deny","Resource":"arn:aws:s3:::local/*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}`, nil},
		{"not s3 arn", `{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}`, nil},
		{"prefix condition kept", `{"Action":"s3:ListBucket","Effect":"Allow","Resource":{"Fn::GetAtt":["Img","Arn"]},"Condition":{"StringLike":{"s3:prefix":["agency/*"]}}}`, []string{"arn:aws:s3:::local"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Statement
			if err := json.Unmarshal([]byte(tt.statement), &s); err != nil {
				t.Fatal(err)
			}
			got, reason := r.statement(s)
			if tt.resources == nil {
				if reason == "" {
					t.Errorf("kept %v, want it dropped", got)
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
