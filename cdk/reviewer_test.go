package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/review"
)

// reviewerProps returns the reviewer function's properties.
func reviewerProps(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	return props(f.resource(t, "Reviewer"))
}

func reviewerEnv(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	return reviewerProps(t, f)["Environment"].(map[string]any)["Variables"].(map[string]any)
}

func TestReviewerFunction(t *testing.T) {
	f := variant(t, "default")
	fn := f.resource(t, "Reviewer")
	p := props(fn)
	for key, want := range map[string]any{
		"Runtime":          "provided.al2023",
		"Architectures":    []any{"arm64"},
		"Handler":          "bootstrap",
		"MemorySize":       128.0,
		"Timeout":          120.0,
		"LoggingConfig":    map[string]any{"LogFormat": "JSON", "LogGroup": ref(f.logicalID(t, "ReviewerLogGroup"))},
		"Role":             getAtt(f.logicalID(t, "ReviewerRole"), "Arn"),
		"DeadLetterConfig": map[string]any{"TargetArn": getAtt(f.logicalID(t, "ReviewDeadLetterQueue"), "Arn")},
	} {
		if jsonOf(p[key]) != jsonOf(want) {
			t.Errorf("%s %s, want %s", key, jsonOf(p[key]), jsonOf(want))
		}
	}
	if p["ReservedConcurrentExecutions"] != nil || p["VpcConfig"] != nil || p["TracingConfig"] != nil {
		t.Errorf("unexpected concurrency, VPC or tracing: %s", jsonOf(p))
	}
	// Lambda checks the role's right to send to the dead-letter queue when
	// it creates the function.
	if !strings.Contains(jsonOf(fn["DependsOn"]), `"`+f.logicalID(t, "ReviewerPolicy")+`"`) {
		t.Errorf("DependsOn %s, want ReviewerPolicy", jsonOf(fn["DependsOn"]))
	}

	tests := []struct {
		variant string
		env     []string
	}{
		{"default", []string{"INTENDED_POLICY", "MEDIA_USER_NAME", "STACK_ACCESS_KEY_ID", "TOPIC_ARN"}},
		{"nokey", []string{"INTENDED_POLICY", "MEDIA_USER_NAME", "TOPIC_ARN"}},
	}
	for _, tt := range tests {
		t.Run("environment/"+tt.variant, func(t *testing.T) {
			f := variant(t, tt.variant)
			env := reviewerEnv(t, f)
			if got := keys(env); !reflect.DeepEqual(got, tt.env) {
				t.Fatalf("variables %v, want %v", got, tt.env)
			}
			want := map[string]any{
				"TOPIC_ARN":       ref(f.logicalID(t, "NotificationTopic")),
				"MEDIA_USER_NAME": ref(f.logicalID(t, "AgencyUser")),
			}
			if _, ok := env["STACK_ACCESS_KEY_ID"]; ok {
				// The key's id, which Ref returns; never its secret.
				want["STACK_ACCESS_KEY_ID"] = ref(f.logicalID(t, "AgencyAccessKey"))
			}
			for k, w := range want {
				if jsonOf(env[k]) != jsonOf(w) {
					t.Errorf("%s %s, want %s", k, jsonOf(env[k]), jsonOf(w))
				}
			}
		})
	}
	t.Run("log group keeps 90 days, encrypted with the topic key", func(t *testing.T) {
		lg := props(f.resource(t, "ReviewerLogGroup"))
		if lg["LogGroupName"] != "/aws/lambda/bucketbell-reviewer" || lg["RetentionInDays"] != 90.0 ||
			jsonOf(lg["KmsKeyId"]) != jsonOf(getAtt(f.logicalID(t, "TopicKey"), "Arn")) {
			t.Errorf("log group %s", jsonOf(lg))
		}
		st := statementsBySidLenient(props(f.resource(t, "TopicKey"))["KeyPolicy"])["AllowCloudWatchLogsForReviewerLogGroup"]
		if !strings.Contains(jsonOf(st["Condition"]), `:log-group:/aws/lambda/bucketbell-reviewer"`) {
			t.Errorf("logs statement %s", jsonOf(st))
		}
	})
}

func TestReviewSchedule(t *testing.T) {
	tests := []struct {
		variant, want string
	}{
		{"default", "cron(0 8 1 * ? *)"},
		{"custom", "cron(0 6 ? * MON *)"}, // given with extra spaces
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			f := variant(t, tt.variant)
			rules := f.resources("AWS::Events::Rule")
			if len(rules) != 1 {
				t.Fatalf("%d rules, want 1", len(rules))
			}
			rule := props(f.resource(t, "ReviewSchedule"))
			if rule["ScheduleExpression"] != tt.want || rule["State"] != "ENABLED" || rule["EventPattern"] != nil {
				t.Errorf("rule %s, want schedule %s", jsonOf(rule), tt.want)
			}
		})
	}
	t.Run("target retries, then the dead-letter queue", func(t *testing.T) {
		f := variant(t, "default")
		targets := props(f.resource(t, "ReviewSchedule"))["Targets"].([]any)
		if len(targets) != 1 {
			t.Fatalf("targets %s", jsonOf(targets))
		}
		target := targets[0].(map[string]any)
		want := map[string]any{
			"Arn":              getAtt(f.logicalID(t, "Reviewer"), "Arn"),
			"DeadLetterConfig": map[string]any{"Arn": getAtt(f.logicalID(t, "ReviewDeadLetterQueue"), "Arn")},
			"RetryPolicy":      map[string]any{"MaximumEventAgeInSeconds": 21600, "MaximumRetryAttempts": 10},
		}
		for k, w := range want {
			if jsonOf(target[k]) != jsonOf(w) {
				t.Errorf("target %s %s, want %s", k, jsonOf(target[k]), jsonOf(w))
			}
		}
		if target["Input"] != nil || target["InputTransformer"] != nil {
			t.Errorf("target input %s: the reviewer ignores its event", jsonOf(target))
		}
	})
	t.Run("only the rule may invoke the reviewer", func(t *testing.T) {
		f := variant(t, "default")
		var got []string
		for id, r := range f.resources("AWS::Lambda::Permission") {
			p := props(r)
			if jsonOf(p["FunctionName"]) != jsonOf(getAtt(f.logicalID(t, "Reviewer"), "Arn")) {
				continue
			}
			got = append(got, id)
			if p["Principal"] != "events.amazonaws.com" || p["Action"] != "lambda:InvokeFunction" ||
				jsonOf(p["SourceArn"]) != jsonOf(getAtt(f.logicalID(t, "ReviewSchedule"), "Arn")) {
				t.Errorf("permission %s", jsonOf(p))
			}
		}
		if len(got) != 1 {
			t.Errorf("permissions %v, want one", got)
		}
	})
}

func TestReviewDeadLetterQueue(t *testing.T) {
	f := variant(t, "default")
	q := props(f.resource(t, "ReviewDeadLetterQueue"))
	if q["SqsManagedSseEnabled"] != true || q["MessageRetentionPeriod"] != 1209600.0 {
		t.Errorf("queue %s", jsonOf(q))
	}
	policy := props(f.resource(t, "ReviewDeadLetterQueuePolicy"))["PolicyDocument"].(map[string]any)
	var tlsDeny, fromRule bool
	for _, s := range policy["Statement"].([]any) {
		st := s.(map[string]any)
		switch {
		case st["Effect"] == "Deny" && jsonOf(st["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}`:
			tlsDeny = true
		case st["Effect"] == "Allow":
			fromRule = jsonOf(st["Principal"]) == `{"Service":"events.amazonaws.com"}` && st["Action"] == "sqs:SendMessage" &&
				jsonOf(st["Condition"]) == jsonOf(map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": getAtt(f.logicalID(t, "ReviewSchedule"), "Arn")}})
			if !fromRule {
				t.Errorf("unexpected Allow %s", jsonOf(st))
			}
		}
	}
	if !tlsDeny || !fromRule {
		t.Errorf("policy %s: want a TLS-only Deny and SendMessage for the schedule's rule only", jsonOf(policy))
	}
}

// TestReviewerRights lists every right of the reviewer's role, and checks
// that none of them changes anything in IAM.
func TestReviewerRights(t *testing.T) {
	f := variant(t, "default")
	role := props(f.resource(t, "ReviewerRole"))
	if role["ManagedPolicyArns"] != nil || role["Policies"] != nil {
		t.Errorf("reviewer role has policies of its own: %s", jsonOf(role))
	}
	roleRef := jsonOf(ref(f.logicalID(t, "ReviewerRole")))
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for id, r := range f.resources(typ) {
			if strings.Contains(jsonOf(props(r)["Roles"]), roleRef) && !strings.HasPrefix(id, "ReviewerPolicy") {
				t.Errorf("%s also grants the reviewer rights", id)
			}
		}
	}
	policy := props(f.resource(t, "ReviewerPolicy"))
	if jsonOf(policy["Roles"]) != jsonOf([]any{ref(f.logicalID(t, "ReviewerRole"))}) {
		t.Errorf("ReviewerPolicy roles %s", jsonOf(policy["Roles"]))
	}
	iamArn := func(resource string) any {
		return map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":iam::", ref("AWS::AccountId"), ":" + resource}}}
	}
	awsPolicies := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":iam::aws:policy/*"}}}
	got := statementsBySid(t, policy["PolicyDocument"])
	want := map[string]wantStatement{
		"WriteOwnLogs": {sorted("logs:CreateLogStream", "logs:PutLogEvents"), getAtt(f.logicalID(t, "ReviewerLogGroup"), "Arn")},
		"ReadAgencyUser": {sorted("iam:GetUser", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:ListMFADevices", "iam:GetLoginProfile",
			"iam:ListUserPolicies", "iam:GetUserPolicy", "iam:ListAttachedUserPolicies", "iam:ListGroupsForUser"), getAtt(f.logicalID(t, "AgencyUser"), "Arn")},
		"ReadGroupPolicies":   {sorted("iam:ListGroupPolicies", "iam:GetGroupPolicy", "iam:ListAttachedGroupPolicies"), iamArn("group/*")},
		"ReadManagedPolicies": {sorted("iam:GetPolicy", "iam:GetPolicyVersion"), []any{iamArn("policy/*"), awsPolicies}},
		"PublishReviews":      {[]string{"sns:Publish"}, ref(f.logicalID(t, "NotificationTopic"))},
		"EncryptReviews":      {sorted("kms:GenerateDataKey", "kms:Decrypt"), getAtt(f.logicalID(t, "TopicKey"), "Arn")},
		"SendFailedReviews":   {[]string{"sqs:SendMessage"}, getAtt(f.logicalID(t, "ReviewDeadLetterQueue"), "Arn")},
	}
	checkStatements(t, got, want)
	for sid, st := range got {
		if c := st["Condition"]; c != nil && sid != "EncryptReviews" {
			t.Errorf("%s has a condition %s", sid, jsonOf(c))
		}
	}
	if c := jsonOf(got["EncryptReviews"]["Condition"]); !strings.Contains(c, "kms:ViaService") || !strings.Contains(c, `"sns."`) {
		t.Errorf("EncryptReviews is not limited to use through SNS: %s", c)
	}

	// No write: every IAM action reads (Get or List, no wildcard), and the
	// rest are the reviewer's own logs, its publish and its dead letters.
	others := sorted("logs:CreateLogStream", "logs:PutLogEvents", "sns:Publish", "kms:GenerateDataKey", "kms:Decrypt", "sqs:SendMessage")
	var rest []string
	for sid, st := range got {
		if st["NotAction"] != nil || st["NotResource"] != nil {
			t.Errorf("%s uses NotAction or NotResource", sid)
		}
		for _, a := range strs(st["Action"]) {
			switch {
			case strings.ContainsAny(a, "*?"):
				t.Errorf("%s: wildcard action %s", sid, a)
			case strings.HasPrefix(a, "iam:"):
				if !strings.HasPrefix(a, "iam:Get") && !strings.HasPrefix(a, "iam:List") {
					t.Errorf("%s: IAM action %s does not only read", sid, a)
				}
			default:
				rest = append(rest, a)
			}
		}
	}
	if got := sorted(rest...); !reflect.DeepEqual(got, others) {
		t.Errorf("non-IAM actions %v, want %v", got, others)
	}
	for _, write := range []string{"iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:AttachUserPolicy",
		"iam:DetachUserPolicy", "iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:DetachGroupPolicy", "iam:DeleteGroupPolicy",
		"iam:CreatePolicyVersion", "iam:DeleteLoginProfile", "iam:AddUserToGroup", "iam:PassRole", "secretsmanager:GetSecretValue",
		"secretsmanager:PutSecretValue"} {
		for sid, st := range got {
			for _, a := range strs(st["Action"]) {
				if actionMatches(a, write) {
					t.Errorf("%s allows %s", sid, write)
				}
			}
		}
	}
	t.Run("the topic key lets IAM policies grant its use", func(t *testing.T) {
		// EncryptReviews works only because the key policy delegates to the
		// account's IAM policies, as CDK's default key policy does.
		delegates := false
		for _, s := range props(f.resource(t, "TopicKey"))["KeyPolicy"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			if st["Effect"] == "Allow" && st["Action"] == "kms:*" && strings.Contains(jsonOf(st["Principal"]), ":root") {
				delegates = true
			}
		}
		if !delegates {
			t.Error("the topic key's policy has no account statement")
		}
	})
}

// TestIntendedPolicy: the reviewer is given exactly the document of the
// agency's policy, it fits in Lambda's environment, and a freshly deployed
// user reviews clean against it.
func TestIntendedPolicy(t *testing.T) {
	sids := map[string][]string{
		"default": {SidListBucket, SidReadWriteObjects, SidDenyVersionDeletion, SidDenyAclChanges, SidDenyBucketConfig, SidDenyOtherStorage, SidDenyOtherEncryption,
			SidReadAccountSecurity, SidCreateOwnMfaDevice, SidManageOwnPasswordMfa, SidDenyConsoleWithoutMfa, SidDenyIamWithAccessKey},
		"noconsole": {SidListBucket, SidReadWriteObjects, SidDenyVersionDeletion, SidDenyAclChanges, SidDenyBucketConfig, SidDenyOtherStorage, SidDenyOtherEncryption,
			SidDenyConsoleWithoutMfa, SidDenyIamWithAccessKey},
	}
	sids["prefix"], sids["custom"], sids["nokey"], sids["nameroles"] = sids["default"], sids["default"], sids["default"], sids["default"]
	sids["cidrs"] = append(append([]string(nil), sids["default"]...), SidDenyOutsideNetworks)
	for name := range variants {
		t.Run(name, func(t *testing.T) {
			f := variant(t, name)
			values := sampleValues(t, f)
			text := resolve(t, reviewerEnv(t, f)["INTENDED_POLICY"], values)
			var intended, agency any
			if err := json.Unmarshal([]byte(text), &intended); err != nil {
				t.Fatalf("INTENDED_POLICY is not JSON: %v\n%s", err, text)
			}
			// The agency's policy, with the same values put in.
			if err := json.Unmarshal([]byte(resolveDeep(t, props(f.resource(t, "AgencyPolicy"))["PolicyDocument"], values)), &agency); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(intended, agency) {
				t.Errorf("INTENDED_POLICY differs from AgencyPolicy:\n%s\n%s", jsonOf(intended), jsonOf(agency))
			}
			got := keys(statementsBySid(t, intended))
			if want := sorted(sids[name]...); !reflect.DeepEqual(got, want) {
				t.Errorf("INTENDED_POLICY statements %v, want %v", got, want)
			}

			doc, err := review.ParseDocument(text)
			if err != nil {
				t.Fatalf("the reviewer cannot read INTENDED_POLICY: %v", err)
			}
			now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
			u := review.User{
				UserName: "mediacouser", CreateDate: now.AddDate(0, -1, 0),
				Groups: []review.Group{{Name: "bucketbell-AgencyGroup", AttachedPolicies: []review.Policy{{Name: "AgencyPolicy", Document: doc}}}},
			}
			if r := review.Build(u, &doc, now, ""); !r.Checked || len(r.Findings) != 0 || len(r.Ungranted) != 0 {
				t.Errorf("a freshly deployed user does not review clean: %+v", r.Findings)
			}
		})
	}
}

// TestReviewerEnvironmentSize: Lambda allows 4 KB of environment variables
// in all. Measured with the longest values the tokens can take, and the
// longest keyPrefix and address ranges the settings accept, it must leave
// an eighth spare for variables yet to come. (A quarter until the address
// ranges came: the guardrail Denies were widened to all of S3 to make room
// for them, and the number of ranges is capped to fit.)
func TestReviewerEnvironmentSize(t *testing.T) {
	const limit, budget = 4096, 3584
	longest := map[string]string{
		"AWS::Partition": "aws-us-gov",
		"AWS::AccountId": "123456789012",
		"AWS::Region":    "ap-southeast-5",
		// A 63-character bucket name, the longest S3 allows.
		"ImageBucket.Arn":   "arn:aws-us-gov:s3:::" + strings.Repeat("b", 63),
		"NotificationTopic": "arn:aws-us-gov:sns:ap-southeast-5:123456789012:" + TopicName,
		"AgencyUser":        strings.Repeat("u", 64),
		// Access key ids have 20 characters.
		"AgencyAccessKey": "AKIA" + strings.Repeat("K", 16),
	}
	// The longest keyPrefix and as many of the longest address ranges as
	// the settings accept.
	prefix := strings.Repeat("p", MaxKeyPrefixBytes-1) + "/"
	var cidrs []string
	for i := range MaxAgencySourceCidrs {
		cidrs = append(cidrs, fmt.Sprintf("2001:db8:ffff:ffff:ffff:ffff:ffff:ff%02x/128", i))
	}
	cfg, err := ConfigFromContext(lookupOf(map[string]any{SettingAdminEmail: "admin@example.com", SettingKeyPrefix: prefix, SettingAgencySourceCidrs: strings.Join(cidrs, ",")}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KeyPrefix != prefix || len(cfg.AgencySourceCidrs) != MaxAgencySourceCidrs {
		t.Fatalf("keyPrefix %q and %d ranges are not the longest accepted", cfg.KeyPrefix, len(cfg.AgencySourceCidrs))
	}
	for name, f := range map[string]*fixture{"default": variant(t, "default"), "longest keyPrefix and ranges": synthesize(t, "longest settings", cfg, false)} {
		values := map[string]string{}
		for k, v := range longest {
			id, attr, _ := strings.Cut(k, ".")
			if strings.HasPrefix(id, "AWS::") {
				values[k] = v
				continue
			}
			values[f.logicalID(t, id)+suffix(attr)] = v
		}
		size := 0
		for k, v := range reviewerEnv(t, f) {
			size += len(k) + len(resolve(t, v, values))
		}
		t.Logf("%s: %d bytes of %d", name, size, limit)
		if size > budget {
			t.Errorf("%s: the reviewer's environment takes %d bytes at most, more than %d of Lambda's %d", name, size, budget, limit)
		}
	}
}

func suffix(attr string) string {
	if attr == "" {
		return ""
	}
	return "." + attr
}

// sampleValues are deploy-time values for the tokens in the policies.
func sampleValues(t *testing.T, f *fixture) map[string]string {
	return map[string]string{
		"AWS::Partition":                       "aws",
		"AWS::AccountId":                       "123456789012",
		f.logicalID(t, "ImageBucket") + ".Arn": "arn:aws:s3:::acme-product-images",
	}
}

// resolve evaluates a template value (a string, Ref, Fn::GetAtt or
// Fn::Join of them) as CloudFormation would, with values by logical id
// ("Id" for Ref, "Id.Attr" for Fn::GetAtt).
func resolve(t *testing.T, v any, values map[string]string) string {
	t.Helper()
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if id, ok := x["Ref"].(string); ok {
			if s, ok := values[id]; ok {
				return s
			}
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			if s, ok := values[fmt.Sprint(ga[0], ".", ga[1])]; ok {
				return s
			}
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, resolve(t, p, values))
			}
			return strings.Join(parts, j[0].(string))
		}
	}
	t.Fatalf("cannot resolve %s", jsonOf(v))
	return ""
}

// resolveDeep resolves every token in a JSON value and renders it.
func resolveDeep(t *testing.T, v any, values map[string]string) string {
	t.Helper()
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e)
			}
			return out
		case map[string]any:
			if _, ok := x["Ref"]; ok {
				return resolve(t, x, values)
			}
			if _, ok := x["Fn::GetAtt"]; ok {
				return resolve(t, x, values)
			}
			if _, ok := x["Fn::Join"]; ok {
				return resolve(t, x, values)
			}
			out := map[string]any{}
			for k, e := range x {
				out[k] = walk(e)
			}
			return out
		}
		return v
	}
	return jsonOf(walk(v))
}
