package main

import (
	"reflect"
	"strings"
	"testing"
)

// agencyPolicy returns the agency's statements by Sid, checking on the way
// that the policy is a managed policy attached to the group only.
func agencyPolicy(t *testing.T, f *fixture) map[string]map[string]any {
	t.Helper()
	p := props(f.resource(t, "AgencyPolicy"))
	if jsonOf(p["Groups"]) != jsonOf([]any{ref(f.logicalID(t, "AgencyGroup"))}) || p["Users"] != nil || p["Roles"] != nil {
		t.Errorf("AgencyPolicy attached to %s / %v / %v, want the agency group only", jsonOf(p["Groups"]), p["Users"], p["Roles"])
	}
	return statementsBySid(t, p["PolicyDocument"])
}

// TestAgencyStatements pins every statement of the agency's policy: its
// effect, actions, resources and condition.
func TestAgencyStatements(t *testing.T) {
	type want struct {
		effect    string
		actions   []string
		resources []any
		condition string
	}
	allS3 := map[string]any{"Fn::Join": []any{"", []any{"arn:", ref("AWS::Partition"), ":s3:::*"}}}
	bucketStatements := func(bucket, prefix string) map[string]want {
		arn := getAtt(bucket, "Arn")
		list := want{"Allow", []string{"s3:ListBucket"}, []any{arn}, ""}
		if prefix != "" {
			list.condition = `{"StringLike":{"s3:prefix":["` + prefix + `*"]}}`
		}
		return map[string]want{
			SidListBucket:       list,
			SidReadWriteObjects: {"Allow", sorted(AgencyObjectActions...), []any{objectsOf(bucket, prefix+"*")}, ""},
			// The guardrails hold for every bucket and object.
			SidDenyVersionDeletion: {"Deny", []string{"s3:DeleteObjectVersion"}, []any{allS3}, ""},
			SidDenyAclChanges:      {"Deny", sorted("s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"), []any{allS3}, ""},
			SidDenyBucketConfig:    {"Deny", sorted("s3:PutBucket*", "s3:DeleteBucket*", "s3:Put*Configuration"), []any{allS3}, ""},
			// Null false: a plain upload, which names neither, stays allowed.
			SidDenyOtherStorage: {"Deny", []string{"s3:PutObject"}, []any{allS3},
				`{"Null":{"s3:x-amz-storage-class":"false"},"StringNotEquals":{"s3:x-amz-storage-class":"STANDARD"}}`},
			SidDenyOtherEncryption: {"Deny", []string{"s3:PutObject"}, []any{allS3},
				`{"Null":{"s3:x-amz-server-side-encryption":"false"},"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`},
			// A long-term key carries no aws:MultiFactorAuthPresent: it
			// reaches no IAM action.
			SidDenyIamWithAccessKey: {"Deny", []string{"iam:*"}, []any{"*"}, `{"Null":{"aws:MultiFactorAuthPresent":"true"}}`},
		}
	}
	consoleStatements := map[string]want{
		SidReadAccountSecurity:  {"Allow", sorted("iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"), []any{"*"}, ""},
		SidCreateOwnMfaDevice:   {"Allow", []string{"iam:CreateVirtualMFADevice"}, nil, ""},
		SidManageOwnPasswordMfa: {"Allow", sorted("iam:ChangePassword", "iam:GetUser", "iam:EnableMFADevice", "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"), nil, ""},
	}
	tests := []struct {
		variant string
		prefix  string
		console bool
	}{
		{"default", "", true},
		{"prefix", "agency/uploads/", true},
		{"noconsole", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			f := variant(t, tt.variant)
			got := agencyPolicy(t, f)
			wants := bucketStatements(f.logicalID(t, "ImageBucket"), tt.prefix)
			if tt.console {
				for k, v := range consoleStatements {
					wants[k] = v
				}
			}
			for sid, w := range wants {
				st, ok := got[sid]
				if !ok {
					t.Errorf("no statement %s", sid)
					continue
				}
				if st["Effect"] != w.effect || !reflect.DeepEqual(strs(st["Action"]), w.actions) {
					t.Errorf("%s: %s", sid, jsonOf(st))
				}
				if w.resources != nil && jsonOf(st["Resource"]) != jsonOf(oneOrList(w.resources)) {
					t.Errorf("%s resource %s, want %s", sid, jsonOf(st["Resource"]), jsonOf(oneOrList(w.resources)))
				}
				if c := st["Condition"]; (w.condition == "" && c != nil) || (w.condition != "" && jsonOf(c) != w.condition) {
					t.Errorf("%s condition %s, want %q", sid, jsonOf(c), w.condition)
				}
			}
			// The self-service statements only reach the user's own entry.
			if tt.console {
				if r := jsonOf(got[SidManageOwnPasswordMfa]["Resource"]); !strings.Contains(r, `:user/${aws:username}"`) {
					t.Errorf("%s resource %s", SidManageOwnPasswordMfa, r)
				}
				if r := jsonOf(got[SidCreateOwnMfaDevice]["Resource"]); !strings.Contains(r, `:mfa/*"`) {
					t.Errorf("%s resource %s", SidCreateOwnMfaDevice, r)
				}
			}
			if _, ok := got[SidDenyConsoleWithoutMfa]; !ok {
				t.Errorf("no statement %s", SidDenyConsoleWithoutMfa)
			}
			if len(got) != len(wants)+1 {
				t.Errorf("statements %v, want exactly %d", keys(got), len(wants)+1)
			}
			if _, ok := got[SidDenyOutsideNetworks]; ok {
				t.Errorf("%s without %s", SidDenyOutsideNetworks, SettingAgencySourceCidrs)
			}
		})
	}
}

// TestAgencySourceCidrs: with agencySourceCidrs every request from
// elsewhere is denied, except those a service makes for the user.
func TestAgencySourceCidrs(t *testing.T) {
	st := agencyPolicy(t, variant(t, "cidrs"))[SidDenyOutsideNetworks]
	want := `{"Action":"*","Condition":{"Bool":{"aws:ViaAWSService":"false"},"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}},"Effect":"Deny","Resource":"*","Sid":"` + SidDenyOutsideNetworks + `"}`
	if got := jsonOf(st); got != want {
		t.Errorf("statement\n got %s\nwant %s", got, want)
	}
}

func oneOrList(v []any) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// TestAgencyMFA: console sessions without MFA are denied everything but
// the self-service needed to set MFA up; access keys are unaffected.
func TestAgencyMFA(t *testing.T) {
	st := agencyPolicy(t, variant(t, "default"))[SidDenyConsoleWithoutMfa]
	if st["Effect"] != "Deny" || st["Action"] != nil || st["Resource"] != "*" {
		t.Errorf("MFA statement %s", jsonOf(st))
	}
	// Bool, not BoolIfExists: the key is absent for long-term access keys.
	if got := jsonOf(st["Condition"]); got != `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}` {
		t.Errorf("condition %s", got)
	}
	if got, want := strs(st["NotAction"]), sorted(agencySelfServiceActions...); !reflect.DeepEqual(got, want) {
		t.Errorf("NotAction %v, want %v", got, want)
	}
	for _, a := range strs(st["NotAction"]) {
		if !strings.HasPrefix(a, "iam:") {
			t.Errorf("a console session without MFA may %s", a)
		}
	}
}

// TestAgencyS3StatementsStandAlone: the S3 statements hold only s3:
// actions, so they can be lifted out of the template by Sid (the MinIO
// end-to-end test does that).
func TestAgencyS3StatementsStandAlone(t *testing.T) {
	sts := agencyPolicy(t, variant(t, "default"))
	for _, sid := range []string{SidListBucket, SidReadWriteObjects, SidDenyVersionDeletion, SidDenyAclChanges, SidDenyBucketConfig} {
		for _, a := range strs(sts[sid]["Action"]) {
			if !strings.HasPrefix(a, "s3:") {
				t.Errorf("%s holds %s", sid, a)
			}
		}
	}
	for sid, st := range sts {
		for _, a := range append(strs(st["Action"]), strs(st["NotAction"])...) {
			if strings.HasPrefix(a, "s3:") && !strings.HasPrefix(sid, "List") && !strings.HasPrefix(sid, "ReadWrite") && !strings.HasPrefix(sid, "Deny") {
				t.Errorf("S3 action %s in non-S3 statement %s", a, sid)
			}
		}
	}
}

func TestAgencyCredentials(t *testing.T) {
	t.Run("access key secret holds the key", func(t *testing.T) {
		f := variant(t, "default")
		key := f.logicalID(t, "AgencyAccessKey")
		if got := jsonOf(props(f.resource(t, "AgencyAccessKey"))["UserName"]); got != jsonOf(ref(f.logicalID(t, "AgencyUser"))) {
			t.Errorf("access key user %s", got)
		}
		secret := jsonOf(props(f.resource(t, "AccessKeySecret"))["SecretString"])
		if !strings.Contains(secret, jsonOf(getAtt(key, "SecretAccessKey"))) || !strings.Contains(secret, jsonOf(ref(key))) {
			t.Errorf("SecretString %s", secret)
		}
	})
	t.Run("the password comes from its secret", func(t *testing.T) {
		f := variant(t, "default")
		login := jsonOf(props(f.resource(t, "AgencyUser"))["LoginProfile"])
		if !strings.Contains(login, jsonOf(ref(f.logicalID(t, "ConsolePasswordSecret")))) {
			t.Errorf("LoginProfile %s", login)
		}
	})
	t.Run("no console access: no password", func(t *testing.T) {
		u := props(variant(t, "noconsole").resource(t, "AgencyUser"))
		if _, ok := u["LoginProfile"]; ok {
			t.Errorf("LoginProfile %s", jsonOf(u["LoginProfile"]))
		}
	})
	t.Run("custom user name", func(t *testing.T) {
		if u := props(variant(t, "custom").resource(t, "AgencyUser")); u["UserName"] != "agencyjane" {
			t.Errorf("UserName %v", u["UserName"])
		}
	})
}

func TestOutputs(t *testing.T) {
	tests := []struct {
		variant string
		want    []string
	}{
		{"default", []string{"AccessKeySecretArn", "AlarmNames", "AthenaWorkGroup", "BucketConsoleUrl", "BucketName", "ConsolePasswordSecretArn", "ConsoleSignInUrl", "DeadLetterQueueUrl", "HistoryBucketName", "MediaUserName", "NotifierLogGroupName", "ReviewerFunctionName", "ReviewerLogGroupName", "Settings", "TopicArn"}},
		{"noconsole", []string{"AccessKeySecretArn", "AlarmNames", "AthenaWorkGroup", "BucketConsoleUrl", "BucketName", "DeadLetterQueueUrl", "HistoryBucketName", "MediaUserName", "NotifierLogGroupName", "ReviewerFunctionName", "ReviewerLogGroupName", "Settings", "TopicArn"}},
		{"nokey", []string{"AlarmNames", "AthenaWorkGroup", "BucketConsoleUrl", "BucketName", "ConsolePasswordSecretArn", "ConsoleSignInUrl", "DeadLetterQueueUrl", "HistoryBucketName", "MediaUserName", "NotifierLogGroupName", "ReviewerFunctionName", "ReviewerLogGroupName", "Settings", "TopicArn"}},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			f := variant(t, tt.variant)
			outputs := f.json["Outputs"].(map[string]any)
			if got := keys(outputs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("outputs %v, want %v", got, tt.want)
			}
			// No output may carry a secret: no secret access key, no
			// password, no dynamic reference that resolves one.
			for name, o := range outputs {
				value := jsonOf(o.(map[string]any)["Value"])
				for _, bad := range []string{"SecretAccessKey", "resolve:secretsmanager", "SecretString", "LoginProfile"} {
					if strings.Contains(value, bad) {
						t.Errorf("output %s reads %s: %s", name, bad, value)
					}
				}
			}
		})
	}
	t.Run("settings and alarms", func(t *testing.T) {
		for _, name := range []string{"default", "custom", "cidrs"} {
			f := variant(t, name)
			outputs := f.json["Outputs"].(map[string]any)
			got, err := ParseSettings(outputs["Settings"].(map[string]any)["Value"].(string))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !reflect.DeepEqual(got, f.cfg) {
				t.Errorf("%s: Settings output reads back as\n%+v, want\n%+v", name, got, f.cfg)
			}
			var alarms []string
			for _, r := range f.resources("AWS::CloudWatch::Alarm") {
				alarms = append(alarms, props(r)["AlarmName"].(string))
			}
			if got := outputs["AlarmNames"].(map[string]any)["Value"].(string); !sameSet(strings.Split(got, ","), alarms) {
				t.Errorf("%s: AlarmNames %q, want %v", name, got, alarms)
			}
		}
	})
	t.Run("addresses", func(t *testing.T) {
		f := variant(t, "prefix")
		outputs := f.json["Outputs"].(map[string]any)
		signIn := jsonOf(outputs["ConsoleSignInUrl"].(map[string]any)["Value"])
		if want := `{"Fn::Join":["",["https://",{"Ref":"AWS::AccountId"},".signin.aws.amazon.com/console"]]}`; signIn != want {
			t.Errorf("ConsoleSignInUrl %s", signIn)
		}
		console := jsonOf(outputs["BucketConsoleUrl"].(map[string]any)["Value"])
		want := jsonOf(map[string]any{"Fn::Join": []any{"", []any{
			"https://s3.console.aws.amazon.com/s3/buckets/", ref(f.logicalID(t, "ImageBucket")),
			"?region=", ref("AWS::Region"), "&prefix=agency/uploads/",
		}}})
		if console != want {
			t.Errorf("BucketConsoleUrl %s, want %s", console, want)
		}
	})
	t.Run("the secret access key appears only in its secret", func(t *testing.T) {
		f := variant(t, "default")
		for id, r := range f.json["Resources"].(map[string]any) {
			if strings.Contains(jsonOf(r), `"SecretAccessKey"]`) && !strings.HasPrefix(id, "AccessKeySecret") {
				t.Errorf("%s reads the secret access key", id)
			}
		}
	})
}

// TestPasswordCharacters: the first console password is drawn from
// letters, digits and IAM's symbols only, at least one of each, so that
// any account password policy accepts it.
func TestPasswordCharacters(t *testing.T) {
	var symbols []rune
	for c := rune('!'); c <= '~'; c++ {
		if strings.ContainsRune(passwordExcludedCharacters, c) {
			continue
		}
		letterOrDigit := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !letterOrDigit {
			symbols = append(symbols, c)
			if !strings.ContainsRune(IAMPasswordSymbols, c) {
				t.Errorf("the password may contain %q, which IAM does not count as a symbol", c)
			}
		}
	}
	if len(symbols) < 8 {
		t.Errorf("only %d symbols left: %q", len(symbols), string(symbols))
	}
	gen := props(variant(t, "default").resource(t, "ConsolePasswordSecret"))["GenerateSecretString"].(map[string]any)
	if gen["ExcludeCharacters"] != passwordExcludedCharacters || gen["RequireEachIncludedType"] != true ||
		gen["ExcludeUppercase"] != nil || gen["ExcludeLowercase"] != nil || gen["ExcludeNumbers"] != nil || gen["ExcludePunctuation"] != nil || gen["IncludeSpace"] != nil {
		t.Errorf("GenerateSecretString %s", jsonOf(gen))
	}
}
