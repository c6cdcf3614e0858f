package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
)

// nagRules matches the findings of the three packs the tests apply.
var nagRules = assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*|Serverless-.*|NIST.*"))

// nagFindings lists a stack's unsuppressed cdk-nag errors and warnings.
func nagFindings(t *testing.T, stack awscdk.Stack) []string {
	t.Helper()
	var out []string
	must(t, "read cdk-nag findings", func() {
		a := assertions.Annotations_FromStack(stack)
		add := func(level string, msgs *[]*cxapi.SynthesisMessage) {
			for _, m := range *msgs {
				out = append(out, fmt.Sprintf("%s %s: %v", level, *m.Id, m.Entry.Data))
			}
		}
		add("error", a.FindError(jsii.String("*"), nagRules))
		add("warning", a.FindWarning(jsii.String("*"), nagRules))
	})
	sort.Strings(out)
	return out
}

// TestNagPacks: AwsSolutions, Serverless and NIST 800-53 R5 report nothing
// unsuppressed, in every variant. A new finding fails here, with its text.
func TestNagPacks(t *testing.T) {
	for name := range variants {
		t.Run(name, func(t *testing.T) {
			if findings := nagFindings(t, variant(t, name).stack); len(findings) > 0 {
				t.Errorf("%d cdk-nag findings; fix them, or suppress one on its resource with a reason:\n%s", len(findings), strings.Join(findings, "\n"))
			}
		})
	}
}

// TestNagCatchesNewFindings proves the harness above would notice: a queue
// without encryption, TLS or dead-letter queue added to the stack must be
// reported.
func TestNagCatchesNewFindings(t *testing.T) {
	cfg, err := ConfigFromContext(lookupOf(map[string]any{SettingAdminEmail: "admin@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	var stack awscdk.Stack
	must(t, "synthesize", func() {
		app := NewApp()
		stack = NewBucketbellStack(app, StackName, &BucketbellStackProps{Config: cfg, NotifierAssetDir: assetDir, ReviewerAssetDir: assetDir})
		awssqs.NewQueue(stack, jsii.String("CarelessQueue"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_UNENCRYPTED})
		applyNagPacks(app)
	})
	findings := strings.Join(nagFindings(t, stack), "\n")
	for _, rule := range []string{"AwsSolutions-SQS3", "AwsSolutions-SQS4", "Serverless-SQSRedrivePolicy"} {
		if !strings.Contains(findings, "/CarelessQueue/Resource") || !strings.Contains(findings, rule) {
			t.Errorf("no %s finding for CarelessQueue in:\n%s", rule, findings)
		}
	}
}
