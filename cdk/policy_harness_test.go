package main

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// harnessTemplate exercises the resolver and the collector: a user in two
// groups (one by User.Groups, one by UserToGroupAddition), policies
// attached every way IAM allows, a role with an AWS managed policy, and a
// Lambda permission.
const harnessTemplate = `{"Resources": {
  "Bucket1A2B3C4D": {"Type": "AWS::S3::Bucket"},
  "NamedBucket11111111": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "acme-images"}},
  "QueueAAAAAAAA": {"Type": "AWS::SQS::Queue"},
  "TopicBBBBBBBB": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "s3NotificationTopic"}},
  "KeyCCCCCCCC": {"Type": "AWS::KMS::Key"},
  "GroupDDDDDDDD": {"Type": "AWS::IAM::Group", "Properties": {
    "Policies": [{"PolicyName": "inline", "PolicyDocument": {"Statement": [{"Sid": "GroupInline"}]}}],
    "ManagedPolicyArns": [{"Ref": "ManagedEEEEEEEE"}]}},
  "OtherGroup22222222": {"Type": "AWS::IAM::Group", "Properties": {"GroupName": "second", "Path": "/teams/"}},
  "UserFFFFFFFF": {"Type": "AWS::IAM::User", "Properties": {"UserName": "mediacouser", "Path": "/agency/",
    "Groups": [{"Ref": "GroupDDDDDDDD"}],
    "Policies": [{"PolicyName": "own", "PolicyDocument": {"Statement": [{"Sid": "UserInline"}]}}]}},
  "Addition33333333": {"Type": "AWS::IAM::UserToGroupAddition", "Properties": {"GroupName": {"Ref": "OtherGroup22222222"}, "Users": [{"Ref": "UserFFFFFFFF"}]}},
  "ManagedEEEEEEEE": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": [{"Sid": "ViaGroupArn",
    "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket1A2B3C4D", "Arn"]}, "/*"]]}}]}}},
  "ToSecond44444444": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Groups": ["second"], "PolicyDocument": {"Statement": [{"Sid": "ViaSecondGroup"}]}}},
  "ToUser55555555": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "Users": [{"Ref": "UserFFFFFFFF"}], "PolicyDocument": {"Statement": [{"Sid": "PolicyOnUser",
    "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueAAAAAAAA.QueueName}"}}]}}},
  "ToRole66666666": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Roles": [{"Ref": "RoleGGGGGGGG"}], "PolicyDocument": {"Statement": [{"Sid": "OnRole",
    "Resource": {"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}}]}}},
  "Unrelated77777777": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Roles": ["someone-else"], "PolicyDocument": {"Statement": [{"Sid": "NotMine"}]}}},
  "RoleGGGGGGGG": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [
    {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]}]}},
  "FunctionHHHHHHHH": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["RoleGGGGGGGG", "Arn"]}}},
  "RuleIIIIIIII": {"Type": "AWS::Events::Rule"},
  "PermissionJJJJJJJJ": {"Type": "AWS::Lambda::Permission", "Properties": {"Action": "lambda:InvokeFunction",
    "FunctionName": {"Fn::GetAtt": ["FunctionHHHHHHHH", "Arn"]}, "Principal": "events.amazonaws.com",
    "SourceArn": {"Fn::GetAtt": ["RuleIIIIIIII", "Arn"]}, "SourceAccount": {"Ref": "AWS::AccountId"}}},
  "BucketPolicyKKKKKKKK": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket1A2B3C4D"}, "PolicyDocument": {"Statement": [{"Sid": "OnBucket"}]}}},
  "QueuePolicyLLLLLLLL": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": [{"Ref": "QueueAAAAAAAA"}], "PolicyDocument": {"Statement": [{"Sid": "OnQueue"}]}}},
  "TopicPolicyMMMMMMMM": {"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [{"Ref": "TopicBBBBBBBB"}], "PolicyDocument": {"Statement": [{"Sid": "OnTopic"}]}}}
}}`

func harnessWorld(t *testing.T) *world {
	t.Helper()
	var tpl map[string]any
	if err := json.Unmarshal([]byte(harnessTemplate), &tpl); err != nil {
		t.Fatal(err)
	}
	return newWorld(tpl)
}

func TestPolicyWorldExpands(t *testing.T) {
	w := harnessWorld(t)
	for in, want := range map[string]string{
		"{Bucket.Arn}/a.jpg":    "arn:aws:s3:::bucketbell-bucket1a2b3c4d/a.jpg",
		"{NamedBucket}":         "acme-images",
		"{Queue}":               "https://sqs.us-east-1.amazonaws.com/111122223333/bucketbell-QueueAAAAAAAA",
		"{Queue.Arn}":           "arn:aws:sqs:us-east-1:111122223333:bucketbell-QueueAAAAAAAA",
		"{Topic}":               "arn:aws:sns:us-east-1:111122223333:s3NotificationTopic",
		"{User.Arn}":            "arn:aws:iam::111122223333:user/agency/mediacouser",
		"{OtherGroup.Arn}":      "arn:aws:iam::111122223333:group/teams/second",
		"{Role.Session}":        "arn:aws:sts::111122223333:assumed-role/bucketbell-RoleGGGGGGGG/bucketbell-function",
		"{Function.Arn}":        "arn:aws:lambda:us-east-1:111122223333:function:bucketbell-FunctionHHHHHHHH",
		"{Rule.Arn}":            "arn:aws:events:us-east-1:111122223333:rule/bucketbell-RuleIIIIIIII",
		"{ManagedEEEEEEEE}":     "arn:aws:iam::111122223333:policy/bucketbell-ManagedEEEEEEEE",
		"no placeholder at all": "no placeholder at all",
	} {
		got, err := w.expand(in)
		if err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	key, err := w.expand("{Key.Arn}")
	if err != nil || !regexpKeyArn.MatchString(key) {
		t.Errorf("key ARN %q, %v", key, err)
	}
	for _, bad := range []string{"{Missing.Arn}", "{Bucket.NoSuchAttribute}", "{User.Session}"} {
		if _, err := w.expand(bad); err == nil {
			t.Errorf("expand(%q): no error", bad)
		}
	}
	if _, err := w.resolve(map[string]any{"Fn::ImportValue": "x"}); err == nil || !strings.Contains(err.Error(), "Fn::ImportValue") {
		t.Errorf("Fn::ImportValue: %v, want an error naming it", err)
	}
}

var regexpKeyArn = regexp.MustCompile(`^arn:aws:kms:us-east-1:111122223333:key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestPolicyWorldCollectsIdentityPolicies(t *testing.T) {
	w := harnessWorld(t)
	for id, want := range map[string][]string{
		// Own inline, the group's inline and managed, the second group's
		// managed policy (attached by its Groups), the AWS::IAM::Policy.
		"UserFFFFFFFF": {"GroupInline", "PolicyOnUser", "UserInline", "ViaGroupArn", "ViaSecondGroup"},
		"RoleGGGGGGGG": {"AWSLambdaBasicExecutionRole", "OnRole"},
	} {
		ps, err := w.identityPolicies(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var got []string
		for _, p := range ps {
			sids := sidsOf(p.Policy)
			if len(sids) == 0 {
				sids = []string{path.Base(p.Name)} // AWS's own have none
			}
			got = append(got, sids...)
		}
		if !reflect.DeepEqual(sorted(got...), want) {
			t.Errorf("%s: statements %v, want %v", id, sorted(got...), want)
		}
	}
	ps, _ := w.identityPolicies("UserFFFFFFFF")
	for _, p := range ps {
		b, _ := json.Marshal(p.Policy)
		if strings.Contains(string(b), "Fn::") || strings.Contains(string(b), `"Ref"`) {
			t.Errorf("%s: unresolved: %s", p.Name, b)
		}
		if s := string(b); strings.Contains(s, "PolicyOnUser") && !strings.Contains(s, "arn:aws:sqs:us-east-1:111122223333:bucketbell-QueueAAAAAAAA") {
			t.Errorf("Fn::Sub: %s", s)
		}
	}
	w.resources["Stray99999999"] = map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{
		"ManagedPolicyArns": []any{"arn:aws:iam::aws:policy/AdministratorAccess"}}}
	if _, err := w.identityPolicies("Stray99999999"); err == nil || !strings.Contains(err.Error(), "AdministratorAccess") {
		t.Errorf("an unknown AWS managed policy: %v, want an error naming it", err)
	}
}

func TestPolicyWorldCollectsResourcePolicies(t *testing.T) {
	w := harnessWorld(t)
	policies, err := w.resourcePolicies()
	if err != nil {
		t.Fatal(err)
	}
	for resource, want := range map[string]string{
		"arn:aws:s3:::bucketbell-bucket1a2b3c4d":                                     "OnBucket",
		"arn:aws:s3:::bucketbell-bucket1a2b3c4d/photos/a.jpg":                        "OnBucket",
		"arn:aws:sqs:us-east-1:111122223333:bucketbell-QueueAAAAAAAA":                "OnQueue",
		"arn:aws:sns:us-east-1:111122223333:s3NotificationTopic":                     "OnTopic",
		"arn:aws:lambda:us-east-1:111122223333:function:bucketbell-FunctionHHHHHHHH": "PermissionJJJJJJJJ",
		"arn:aws:s3:::acme-images/a.jpg":                                             "",
	} {
		p := resourcePolicyFor(policies, resource)
		if got := strings.Join(sidsOf(p), ","); got != want {
			t.Errorf("%s: policy %q, want %q", resource, got, want)
		}
	}
	// The Lambda permission as Lambda's AddPermission writes it.
	fn := "arn:aws:lambda:us-east-1:111122223333:function:bucketbell-FunctionHHHHHHHH"
	want := `{"Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:events:us-east-1:111122223333:rule/bucketbell-RuleIIIIIIII"},` +
		`"StringEquals":{"AWS:SourceAccount":"111122223333"}},"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Resource":"` + fn + `","Sid":"PermissionJJJJJJJJ"}`
	if got := jsonOf(policies[fn]["Statement"].([]any)[0]); got != want {
		t.Errorf("Lambda permission:\n got %s\nwant %s", got, want)
	}
	// A key without a key policy gets KMS's default one.
	keyArn, _ := w.getAtt("KeyCCCCCCCC", "Arn")
	if got := jsonOf(policies[keyArn.(string)]); !strings.Contains(got, `"arn:aws:iam::111122223333:root"`) {
		t.Errorf("default key policy: %s", got)
	}
	w.resources["SecondPolicyNNNNNNNN"] = w.resources["BucketPolicyKKKKKKKK"]
	if _, err := w.resourcePolicies(); err == nil {
		t.Error("two policies for one bucket: no error")
	}
}

func TestPolicySimulatorCheck(t *testing.T) {
	root := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", `{"devDependencies": {"`+simulatorPackage+`": "1.2.3"}}`)
	if err := checkSimulator(root); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("missing package: %v", err)
	}
	write("node_modules/"+simulatorPackage+"/package.json", `{"version": "1.2.2"}`)
	if err := checkSimulator(root); err == nil || !strings.Contains(err.Error(), "1.2.2") {
		t.Errorf("other version: %v", err)
	}
	write("node_modules/"+simulatorPackage+"/package.json", `{"version": "1.2.3"}`)
	if err := checkSimulator(root); err != nil {
		t.Errorf("pinned version: %v", err)
	}
}

// sidsOf returns the Sids of a policy document's statements.
func sidsOf(doc any) []string {
	m, _ := doc.(map[string]any)
	list, _ := m["Statement"].([]any)
	var out []string
	for _, s := range list {
		st, _ := s.(map[string]any)
		if sid, ok := st["Sid"].(string); ok {
			out = append(out, sid)
		}
	}
	return out
}
