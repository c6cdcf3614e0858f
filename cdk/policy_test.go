package main

import (
	"flag"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the agency's rights table in README.md from the policy evaluation")

// The request contexts the cases share. The office's addresses are in the
// documentation ranges (RFC 5737, RFC 3849); the others are outside them.
const (
	officeIPv4     = "203.0.113.10"
	officeIPv6     = "2001:db8::10"
	outsideIPv4    = "198.51.100.7"
	outsideIPv6    = "2001:db9::7"
	lambdaIP       = "52.94.133.10"
	otherBucket    = "arn:aws:s3:::someone-elses-bucket"
	strangerRole   = "arn:aws:iam::" + otherAccount + ":role/Admin"
	strangerCaller = "arn:aws:sts::" + otherAccount + ":assumed-role/Admin/stranger"
)

// request is one case: who asks for what, with which request context, and
// whether AWS must allow it. Principal, resource and context values may
// hold placeholders ({ImageBucket.Arn}, see world.expand).
type request struct {
	name      string
	allowed   bool
	principal string
	// policiesOf is the logical-id prefix of the user or role whose
	// identity policies apply; empty for a service principal or a stranger.
	policiesOf string
	// identity are the policies of a principal outside the template.
	identity []namedPolicy
	action   string
	resource string
	// account owns the resource; evalAccount when empty.
	account string
	// ctx is the request context; an empty value removes a key.
	ctx map[string]string
}

// signIn is one way the agency's user authenticates.
type signIn struct {
	name string
	// mfa is aws:MultiFactorAuthPresent: absent for a long-term access
	// key, false or true in a console session.
	mfa string
}

var signIns = []signIn{{"access key", ""}, {"console without MFA", "false"}, {"console with MFA", "true"}}

// rights is what each sign-in may do, in the order of signIns.
type rights [3]bool

var (
	// s3Work is the agency's work in its bucket: with the key, and in the
	// console once signed in with MFA.
	s3Work = rights{true, false, true}
	// selfService is changing the first password and setting up MFA:
	// console only, and possible before MFA is set up.
	selfService = rights{false, true, true}
	never       = rights{false, false, false}
)

// agencyRow is one line of the README's table of the agency's rights.
type agencyRow struct {
	what     string
	action   string
	resource string
	account  string
	ctx      map[string]string
	want     rights
}

// createOnly is a conditional create (If-None-Match: *), the only write
// the change history takes.
var createOnly = map[string]string{"s3:if-none-match": "*"}

const (
	imageObject   = "{ImageBucket.Arn}/photos/shoe.jpg"
	historyObject = "{HistoryBucket.Arn}/changes/2026/01/01/digest.json"
	agencyUser    = "{AgencyUser.Arn}"
)

// agencyRows are every action the README's "What the agency can and cannot
// do" names, and the IAM actions of the first sign-in.
var agencyRows = []agencyRow{
	{what: "List the bucket", action: "s3:ListBucket", resource: "{ImageBucket.Arn}", want: s3Work},
	{what: "Upload or replace a file", action: "s3:PutObject", resource: imageObject, want: s3Work},
	{what: "Upload in the STANDARD storage class", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-storage-class": "STANDARD"}, want: s3Work},
	{what: "Upload in the GLACIER storage class", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-storage-class": "GLACIER"}, want: never},
	{what: "Upload in the DEEP_ARCHIVE storage class", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-storage-class": "DEEP_ARCHIVE"}, want: never},
	{what: "Upload in the STANDARD_IA storage class", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-storage-class": "STANDARD_IA"}, want: never},
	{what: "Upload naming the bucket's own encryption (SSE-S3, AES256)", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-server-side-encryption": "AES256"}, want: s3Work},
	{what: "Upload encrypted with a KMS key (aws:kms)", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-server-side-encryption": "aws:kms"}, want: never},
	{what: "Upload encrypted with a KMS key, dual-layer (aws:kms:dsse)", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-server-side-encryption": "aws:kms:dsse"}, want: never},
	{what: "Download a file", action: "s3:GetObject", resource: imageObject, want: s3Work},
	{what: "Delete a file (adds a delete marker)", action: "s3:DeleteObject", resource: imageObject, want: s3Work},
	{what: "Abort a multipart upload", action: "s3:AbortMultipartUpload", resource: imageObject, want: s3Work},
	{what: "List the parts of a multipart upload", action: "s3:ListMultipartUploadParts", resource: imageObject, want: s3Work},
	{what: "Delete a version for good", action: "s3:DeleteObjectVersion", resource: imageObject, want: never},
	{what: "Read an old version", action: "s3:GetObjectVersion", resource: imageObject, want: never},
	{what: "List the versions", action: "s3:ListBucketVersions", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change a file's ACL", action: "s3:PutObjectAcl", resource: imageObject, want: never},
	{what: "Change the bucket's ACL", action: "s3:PutBucketAcl", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change the bucket policy", action: "s3:PutBucketPolicy", resource: "{ImageBucket.Arn}", want: never},
	{what: "Delete the bucket policy", action: "s3:DeleteBucketPolicy", resource: "{ImageBucket.Arn}", want: never},
	{what: "Lift the public access block", action: "s3:PutBucketPublicAccessBlock", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change versioning", action: "s3:PutBucketVersioning", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change the lifecycle rules", action: "s3:PutLifecycleConfiguration", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change the event notifications", action: "s3:PutBucketNotification", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change the default encryption", action: "s3:PutEncryptionConfiguration", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change the access logging", action: "s3:PutBucketLogging", resource: "{ImageBucket.Arn}", want: never},
	{what: "Delete the bucket", action: "s3:DeleteBucket", resource: "{ImageBucket.Arn}", want: never},
	{what: "Download over plain HTTP", action: "s3:GetObject", resource: imageObject, ctx: map[string]string{"aws:SecureTransport": "false"}, want: never},
	{what: "Upload over plain HTTP", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"aws:SecureTransport": "false"}, want: never},
	{what: "Download with TLS 1.1", action: "s3:GetObject", resource: imageObject, ctx: map[string]string{"s3:TlsVersion": "1.1"}, want: never},
	{what: "Download from another bucket of the account", action: "s3:GetObject", resource: "arn:aws:s3:::another-bucket-of-the-account/a.jpg", want: never},
	{what: "Upload to another bucket of the account", action: "s3:PutObject", resource: "arn:aws:s3:::another-bucket-of-the-account/a.jpg", want: never},
	{what: "Download from another account's bucket", action: "s3:GetObject", resource: otherBucket + "/a.jpg", account: otherAccount, want: never},
	{what: "List every bucket", action: "s3:ListAllMyBuckets", resource: "*", want: never},
	{what: "Read the change history", action: "s3:GetObject", resource: historyObject, want: never},
	{what: "Write the change history", action: "s3:PutObject", resource: historyObject, ctx: createOnly, want: never},
	{what: "List the change history", action: "s3:ListBucket", resource: "{HistoryBucket.Arn}", want: never},
	{what: "Send to the event queue", action: "sqs:SendMessage", resource: "{EventQueue.Arn}", want: never},
	{what: "Publish to the topic", action: "sns:Publish", resource: "{NotificationTopic}", want: never},
	{what: "Decrypt with the topic key", action: "kms:Decrypt", resource: "{TopicKey.Arn}", want: never},
	{what: "Read its access key's secret", action: "secretsmanager:GetSecretValue", resource: "{AccessKeySecret}", want: never},
	{what: "Start the access review", action: "lambda:InvokeFunction", resource: "{Reviewer.Arn}", want: never},
	{what: "Change its own password", action: "iam:ChangePassword", resource: agencyUser, want: selfService},
	{what: "Read the account's password policy", action: "iam:GetAccountPasswordPolicy", resource: "*", want: selfService},
	{what: "Create its own virtual MFA device", action: "iam:CreateVirtualMFADevice", resource: "arn:aws:iam::" + evalAccount + ":mfa/{AgencyUser}", want: selfService},
	{what: "Enable its own MFA device", action: "iam:EnableMFADevice", resource: agencyUser, want: selfService},
	{what: "Resynchronise its own MFA device", action: "iam:ResyncMFADevice", resource: agencyUser, want: selfService},
	{what: "List the account's virtual MFA devices", action: "iam:ListVirtualMFADevices", resource: "*", want: selfService},
	{what: "List its own MFA devices", action: "iam:ListMFADevices", resource: agencyUser, want: selfService},
	{what: "Read its own MFA device", action: "iam:GetMFADevice", resource: agencyUser, want: selfService},
	{what: "Read its own user", action: "iam:GetUser", resource: agencyUser, want: selfService},
	{what: "Deactivate its own MFA device", action: "iam:DeactivateMFADevice", resource: agencyUser, want: never},
	{what: "Create itself another access key", action: "iam:CreateAccessKey", resource: agencyUser, want: never},
	{what: "Change another user's password", action: "iam:ChangePassword", resource: "arn:aws:iam::" + evalAccount + ":user/admin", want: never},
	{what: "Enable another user's MFA device", action: "iam:EnableMFADevice", resource: "arn:aws:iam::" + evalAccount + ":user/admin", want: never},
	{what: "List another user's MFA devices", action: "iam:ListMFADevices", resource: "arn:aws:iam::" + evalAccount + ":user/admin", want: never},
	{what: "Read another user", action: "iam:GetUser", resource: "arn:aws:iam::" + evalAccount + ":user/admin", want: never},
	{what: "List the account's users", action: "iam:ListUsers", resource: "*", want: never},
}

// prefixRows hold with keyPrefix agency/uploads.
var prefixRows = []agencyRow{
	{what: "List its folder", action: "s3:ListBucket", resource: "{ImageBucket.Arn}", ctx: map[string]string{"s3:prefix": "agency/uploads/"}, want: s3Work},
	{what: "List a subfolder of its folder", action: "s3:ListBucket", resource: "{ImageBucket.Arn}", ctx: map[string]string{"s3:prefix": "agency/uploads/2026/"}, want: s3Work},
	{what: "List the whole bucket", action: "s3:ListBucket", resource: "{ImageBucket.Arn}", want: never},
	{what: "List another folder", action: "s3:ListBucket", resource: "{ImageBucket.Arn}", ctx: map[string]string{"s3:prefix": "shop/"}, want: never},
	{what: "Upload into its folder", action: "s3:PutObject", resource: "{ImageBucket.Arn}/agency/uploads/shoe.jpg", want: s3Work},
	{what: "Download from its folder", action: "s3:GetObject", resource: "{ImageBucket.Arn}/agency/uploads/shoe.jpg", want: s3Work},
	{what: "Upload outside its folder", action: "s3:PutObject", resource: "{ImageBucket.Arn}/shop/shoe.jpg", want: never},
	{what: "Download outside its folder", action: "s3:GetObject", resource: "{ImageBucket.Arn}/shop/shoe.jpg", want: never},
	{what: "Delete outside its folder", action: "s3:DeleteObject", resource: "{ImageBucket.Arn}/shop/shoe.jpg", want: never},
}

// addressRows are requests from the office and from elsewhere; restricted
// says whether agencySourceCidrs is set.
func addressRows(restricted bool) []agencyRow {
	at := func(ip string, inside bool, r agencyRow) agencyRow {
		r.ctx = map[string]string{"aws:SourceIp": ip}
		if restricted && !inside {
			r.want = never
		}
		return r
	}
	download := agencyRow{what: "Download a file", action: "s3:GetObject", resource: imageObject, want: s3Work}
	upload := agencyRow{what: "Upload a file", action: "s3:PutObject", resource: imageObject, want: s3Work}
	password := agencyRow{what: "Change its own password", action: "iam:ChangePassword", resource: agencyUser, want: selfService}
	mfa := agencyRow{what: "Enable its own MFA device", action: "iam:EnableMFADevice", resource: agencyUser, want: selfService}
	var rows []agencyRow
	for _, r := range []agencyRow{download, upload, password, mfa} {
		for _, a := range []struct {
			where, ip string
			inside    bool
		}{{"the office (IPv4)", officeIPv4, true}, {"the office (IPv6)", officeIPv6, true}, {"elsewhere (IPv4)", outsideIPv4, false}, {"elsewhere (IPv6)", outsideIPv6, false}} {
			row := at(a.ip, a.inside, r)
			row.what += " from " + a.where
			rows = append(rows, row)
		}
	}
	return rows
}

// agencyRequests turns rows into one request per sign-in.
func agencyRequests(rows []agencyRow) []request {
	var out []request
	for _, r := range rows {
		for i, s := range signIns {
			ctx := map[string]string{
				"aws:SecureTransport":  "true",
				"aws:SourceIp":         officeIPv4,
				"aws:ViaAWSService":    "false",
				"aws:username":         "{AgencyUser}",
				"aws:PrincipalArn":     agencyUser,
				"aws:PrincipalAccount": evalAccount,
				"aws:PrincipalType":    "User",
			}
			if s.mfa != "" {
				ctx["aws:MultiFactorAuthPresent"] = s.mfa
				if s.mfa == "true" {
					ctx["aws:MultiFactorAuthAge"] = "300"
				}
			}
			maps.Copy(ctx, r.ctx)
			out = append(out, request{
				name:       fmt.Sprintf("%s (%s), %s", r.what, r.action, s.name),
				allowed:    r.want[i],
				principal:  agencyUser,
				policiesOf: "AgencyUser",
				action:     r.action, resource: r.resource, account: r.account, ctx: ctx,
			})
		}
	}
	return out
}

// role makes requests of a role's sessions, as Lambda's functions call AWS.
func role(prefix string, reqs ...request) []request {
	for i := range reqs {
		r := &reqs[i]
		r.principal = "{" + prefix + ".Session}"
		r.policiesOf = prefix
		ctx := map[string]string{
			"aws:SecureTransport":  "true",
			"aws:SourceIp":         lambdaIP,
			"aws:ViaAWSService":    "false",
			"aws:PrincipalArn":     "{" + prefix + ".Arn}",
			"aws:PrincipalAccount": evalAccount,
			"aws:PrincipalType":    "AssumedRole",
		}
		maps.Copy(ctx, r.ctx)
		r.ctx = ctx
		r.name = prefix + ": " + r.name
	}
	return reqs
}

// service makes requests of an AWS service principal on behalf of a
// source (aws:SourceArn) in an account (aws:SourceAccount).
func service(principal string, reqs ...request) []request {
	for i := range reqs {
		r := &reqs[i]
		r.principal = principal
		ctx := map[string]string{
			"aws:SecureTransport":       "true",
			"aws:PrincipalIsAWSService": "true",
			"aws:PrincipalServiceName":  principal,
		}
		maps.Copy(ctx, r.ctx)
		r.ctx = ctx
		r.name = principal + ": " + r.name
	}
	return reqs
}

// stranger makes requests of an administrator of another account, who
// holds every right there.
func stranger(reqs ...request) []request {
	admin := []namedPolicy{{Name: "stranger's AdministratorAccess", Policy: map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}},
	}}}
	for i := range reqs {
		r := &reqs[i]
		r.principal = strangerCaller
		r.identity = admin
		r.ctx = map[string]string{
			"aws:SecureTransport":  "true",
			"aws:SourceIp":         outsideIPv4,
			"aws:PrincipalArn":     strangerRole,
			"aws:PrincipalAccount": otherAccount,
			"aws:PrincipalType":    "AssumedRole",
		}
		r.name = "another account's administrator: " + r.name
	}
	return reqs
}

func from(sourceArn, account string) map[string]string {
	return map[string]string{"aws:SourceArn": sourceArn, "aws:SourceAccount": account}
}

func viaSNS() map[string]string {
	return map[string]string{"kms:ViaService": "sns." + evalRegion + ".amazonaws.com"}
}

const (
	stackAlarm        = "{DeadLetterQueueAlarm.Arn}"
	otherAccountAlarm = "arn:aws:cloudwatch:" + evalRegion + ":" + otherAccount + ":alarm:" + StackName + "-notifier-errors"
	foreignAlarm      = "arn:aws:cloudwatch:" + evalRegion + ":" + evalAccount + ":alarm:someone-elses-alarm"
	otherRule         = "arn:aws:events:" + evalRegion + ":" + evalAccount + ":rule/someone-elses-rule"
	otherAccountRule  = "arn:aws:events:" + evalRegion + ":" + otherAccount + ":rule/{ReviewSchedule}"
	logGroupArn       = "arn:aws:logs:" + evalRegion + ":" + evalAccount + ":log-group:"
)

// edgeRequests are the arrows of the README's deploy diagram, each with
// the refusals around it.
func edgeRequests() []request {
	var out []request
	add := func(reqs ...[]request) {
		for _, r := range reqs {
			out = append(out, r...)
		}
	}
	add(service("s3.amazonaws.com",
		request{name: "the image bucket's events to the event queue", allowed: true, action: "sqs:SendMessage", resource: "{EventQueue.Arn}", ctx: from("{ImageBucket.Arn}", evalAccount)},
		request{name: "another bucket's events to the event queue", action: "sqs:SendMessage", resource: "{EventQueue.Arn}", ctx: from("arn:aws:s3:::another-bucket-of-the-account", evalAccount)},
		request{name: "another account's bucket's events to the event queue", action: "sqs:SendMessage", resource: "{EventQueue.Arn}", ctx: from(otherBucket, otherAccount)},
		request{name: "the image bucket's events to the dead-letter queue", action: "sqs:SendMessage", resource: "{EventDeadLetterQueue.Arn}", ctx: from("{ImageBucket.Arn}", evalAccount)},
	))
	add(service("logging.s3.amazonaws.com",
		request{name: "the image bucket's access logs", allowed: true, action: "s3:PutObject", resource: "{AccessLogBucket.Arn}/image-bucket/2026-01-01-00-00-00-0123456789ABCDEF", ctx: from("{ImageBucket.Arn}", evalAccount)},
		request{name: "another bucket's access logs", action: "s3:PutObject", resource: "{AccessLogBucket.Arn}/image-bucket/2026-01-01-00-00-00-0123456789ABCDEF", ctx: from("arn:aws:s3:::another-bucket-of-the-account", evalAccount)},
		request{name: "access logs outside the image-bucket folder", action: "s3:PutObject", resource: "{AccessLogBucket.Arn}/other/2026-01-01-00-00-00-0123456789ABCDEF", ctx: from("{ImageBucket.Arn}", evalAccount)},
		request{name: "the history bucket's access logs", allowed: true, action: "s3:PutObject", resource: "{AccessLogBucket.Arn}/history-bucket/2026-01-01-00-00-00-0123456789ABCDEF", ctx: from("{HistoryBucket.Arn}", evalAccount)},
		request{name: "the history bucket's access logs in the image bucket's folder", action: "s3:PutObject", resource: "{AccessLogBucket.Arn}/image-bucket/2026-01-01-00-00-00-0123456789ABCDEF", ctx: from("{HistoryBucket.Arn}", evalAccount)},
	))
	add(role("NotifierRole",
		request{name: "receive events", allowed: true, action: "sqs:ReceiveMessage", resource: "{EventQueue.Arn}"},
		request{name: "delete events", allowed: true, action: "sqs:DeleteMessage", resource: "{EventQueue.Arn}"},
		request{name: "change an event's visibility", allowed: true, action: "sqs:ChangeMessageVisibility", resource: "{EventQueue.Arn}"},
		request{name: "read the queue's attributes", allowed: true, action: "sqs:GetQueueAttributes", resource: "{EventQueue.Arn}"},
		request{name: "send to the event queue", action: "sqs:SendMessage", resource: "{EventQueue.Arn}"},
		request{name: "receive from the dead-letter queue", action: "sqs:ReceiveMessage", resource: "{EventDeadLetterQueue.Arn}"},
		request{name: "receive events over plain HTTP", action: "sqs:ReceiveMessage", resource: "{EventQueue.Arn}", ctx: map[string]string{"aws:SecureTransport": "false"}},
		request{name: "publish a digest", allowed: true, action: "sns:Publish", resource: "{NotificationTopic}"},
		request{name: "publish over plain HTTP", action: "sns:Publish", resource: "{NotificationTopic}", ctx: map[string]string{"aws:SecureTransport": "false"}},
		request{name: "publish to another topic", action: "sns:Publish", resource: "arn:aws:sns:" + evalRegion + ":" + evalAccount + ":someone-elses-topic"},
		request{name: "encrypt a digest with the topic key through SNS", allowed: true, action: "kms:GenerateDataKey", resource: "{TopicKey.Arn}", ctx: viaSNS()},
		request{name: "decrypt with the topic key through SNS", allowed: true, action: "kms:Decrypt", resource: "{TopicKey.Arn}", ctx: viaSNS()},
		request{name: "decrypt with the topic key directly", action: "kms:Decrypt", resource: "{TopicKey.Arn}"},
		request{name: "encrypt with the topic key directly", action: "kms:GenerateDataKey", resource: "{TopicKey.Arn}"},
		request{name: "read a file", allowed: true, action: "s3:GetObject", resource: imageObject},
		request{name: "read a version of a file", allowed: true, action: "s3:GetObjectVersion", resource: imageObject},
		request{name: "list a file's versions", allowed: true, action: "s3:ListBucketVersions", resource: "{ImageBucket.Arn}"},
		request{name: "list the bucket (404, not 403, for a file that is gone)", allowed: true, action: "s3:ListBucket", resource: "{ImageBucket.Arn}"},
		request{name: "upload a file", action: "s3:PutObject", resource: imageObject},
		request{name: "delete a file", action: "s3:DeleteObject", resource: imageObject},
		request{name: "read the access logs", action: "s3:GetObject", resource: "{AccessLogBucket.Arn}/image-bucket/x"},
		request{name: "list the account's users", allowed: true, action: "iam:ListUsers", resource: "*"},
		request{name: "list the account's roles (nameRoles off)", action: "iam:ListRoles", resource: "*"},
		request{name: "read a user", action: "iam:GetUser", resource: agencyUser},
		request{name: "write its own logs", allowed: true, action: "logs:PutLogEvents", resource: logGroupArn + "{NotifierLogGroup}:log-stream:2026/01/01/[$LATEST]abc"},
		request{name: "write the reviewer's logs", action: "logs:PutLogEvents", resource: logGroupArn + "{ReviewerLogGroup}:log-stream:2026/01/01/[$LATEST]abc"},
		request{name: "record a change in the history (a conditional create)", allowed: true, action: "s3:PutObject", resource: historyObject, ctx: createOnly},
		request{name: "overwrite a change record (no If-None-Match)", action: "s3:PutObject", resource: historyObject},
		request{name: "write the history outside the changes folder", action: "s3:PutObject", resource: "{HistoryBucket.Arn}/other/x.json", ctx: createOnly},
		request{name: "read the history", action: "s3:GetObject", resource: historyObject},
	))
	add(service("cloudwatch.amazonaws.com",
		request{name: "a stack alarm publishes", allowed: true, action: "sns:Publish", resource: "{NotificationTopic}", ctx: from(stackAlarm, evalAccount)},
		request{name: "another account's alarm publishes", action: "sns:Publish", resource: "{NotificationTopic}", ctx: from(otherAccountAlarm, otherAccount)},
		request{name: "another alarm of the account publishes", action: "sns:Publish", resource: "{NotificationTopic}", ctx: from(foreignAlarm, evalAccount)},
		request{name: "a stack alarm encrypts with the topic key", allowed: true, action: "kms:GenerateDataKey", resource: "{TopicKey.Arn}", ctx: from(stackAlarm, evalAccount)},
		request{name: "a stack alarm decrypts with the topic key", allowed: true, action: "kms:Decrypt", resource: "{TopicKey.Arn}", ctx: from(stackAlarm, evalAccount)},
		request{name: "another account's alarm encrypts with the topic key", action: "kms:GenerateDataKey", resource: "{TopicKey.Arn}", ctx: from(otherAccountAlarm, otherAccount)},
		request{name: "another account's alarm decrypts with the topic key", action: "kms:Decrypt", resource: "{TopicKey.Arn}", ctx: from(otherAccountAlarm, otherAccount)},
		request{name: "another alarm of the account encrypts with the topic key", action: "kms:GenerateDataKey", resource: "{TopicKey.Arn}", ctx: from(foreignAlarm, evalAccount)},
	))
	add(service("logs."+evalRegion+".amazonaws.com",
		request{name: "encrypt the notifier's logs with the topic key", allowed: true, action: "kms:GenerateDataKey", resource: "{TopicKey.Arn}", ctx: map[string]string{"kms:EncryptionContext:aws:logs:arn": logGroupArn + "{NotifierLogGroup}"}},
		request{name: "decrypt the reviewer's logs with the topic key", allowed: true, action: "kms:Decrypt", resource: "{TopicKey.Arn}", ctx: map[string]string{"kms:EncryptionContext:aws:logs:arn": logGroupArn + "{ReviewerLogGroup}"}},
		request{name: "encrypt another log group with the topic key", action: "kms:GenerateDataKey", resource: "{TopicKey.Arn}", ctx: map[string]string{"kms:EncryptionContext:aws:logs:arn": logGroupArn + "/aws/lambda/someone-else"}},
	))
	add(service("events.amazonaws.com",
		request{name: "the review schedule starts the reviewer", allowed: true, action: "lambda:InvokeFunction", resource: "{Reviewer.Arn}", ctx: from("{ReviewSchedule.Arn}", evalAccount)},
		request{name: "another rule starts the reviewer", action: "lambda:InvokeFunction", resource: "{Reviewer.Arn}", ctx: from(otherRule, evalAccount)},
		request{name: "another account's rule starts the reviewer", action: "lambda:InvokeFunction", resource: "{Reviewer.Arn}", ctx: from(otherAccountRule, otherAccount)},
		request{name: "the review schedule starts the notifier", action: "lambda:InvokeFunction", resource: "{Notifier.Arn}", ctx: from("{ReviewSchedule.Arn}", evalAccount)},
		request{name: "the review schedule's undelivered event to the review dead-letter queue", allowed: true, action: "sqs:SendMessage", resource: "{ReviewDeadLetterQueue.Arn}", ctx: from("{ReviewSchedule.Arn}", evalAccount)},
		request{name: "another rule's event to the review dead-letter queue", action: "sqs:SendMessage", resource: "{ReviewDeadLetterQueue.Arn}", ctx: from(otherRule, evalAccount)},
	))
	var reviewer []request
	for _, a := range ReviewerIAMReadActions {
		reviewer = append(reviewer,
			request{name: a + " on the agency's user", allowed: true, action: a, resource: agencyUser},
			request{name: a + " on another user", action: a, resource: "arn:aws:iam::" + evalAccount + ":user/admin"})
	}
	reviewer = append(reviewer,
		request{name: "read the agency group's policies", allowed: true, action: "iam:ListAttachedGroupPolicies", resource: "{AgencyGroup.Arn}"},
		request{name: "read the agency's managed policy", allowed: true, action: "iam:GetPolicyVersion", resource: "{AgencyPolicy}"},
		request{name: "read an AWS managed policy", allowed: true, action: "iam:GetPolicy", resource: "arn:aws:iam::aws:policy/AdministratorAccess"},
		request{name: "list the account's users", action: "iam:ListUsers", resource: "*"},
		request{name: "attach a policy to the agency's user", action: "iam:AttachUserPolicy", resource: agencyUser},
		request{name: "delete the agency's user", action: "iam:DeleteUser", resource: agencyUser},
		request{name: "create an access key for the agency's user", action: "iam:CreateAccessKey", resource: agencyUser},
		request{name: "change a managed policy", action: "iam:CreatePolicyVersion", resource: "{AgencyPolicy}"},
		request{name: "publish a review", allowed: true, action: "sns:Publish", resource: "{NotificationTopic}"},
		request{name: "encrypt a review with the topic key through SNS", allowed: true, action: "kms:GenerateDataKey", resource: "{TopicKey.Arn}", ctx: viaSNS()},
		request{name: "send a failed review to its dead-letter queue", allowed: true, action: "sqs:SendMessage", resource: "{ReviewDeadLetterQueue.Arn}"},
		request{name: "send to the event queue", action: "sqs:SendMessage", resource: "{EventQueue.Arn}"},
		request{name: "read a file", action: "s3:GetObject", resource: imageObject},
		request{name: "read its access key's secret", action: "secretsmanager:GetSecretValue", resource: "{AccessKeySecret}"},
	)
	add(role("ReviewerRole", reviewer...))
	add(role("BucketNotificationsHandler050a0587b7544547bf325f094a3db834Role",
		request{name: "save the image bucket's notification configuration", allowed: true, action: "s3:PutBucketNotification", resource: "{ImageBucket.Arn}"},
		request{name: "change another bucket's notifications", action: "s3:PutBucketNotification", resource: "arn:aws:s3:::another-bucket-of-the-account"},
		request{name: "read a file", action: "s3:GetObject", resource: imageObject},
	))
	return out
}

// historyRequests: nothing in the stack but the notifier can write the
// change history, and nothing can delete it or change its policy.
func historyRequests(w *world) []request {
	var out []request
	for _, id := range w.ids("AWS::IAM::Role") {
		prefix := id
		if cdkHash.MatchString(id[max(len(id)-8, 0):]) {
			prefix = id[:len(id)-8]
		}
		isNotifier := prefix == "NotifierRole"
		out = append(out, role(prefix,
			request{name: "history: write a change record", allowed: isNotifier, action: "s3:PutObject", resource: historyObject, ctx: createOnly},
			request{name: "history: overwrite a change record", action: "s3:PutObject", resource: historyObject},
			request{name: "history: delete a change record", action: "s3:DeleteObject", resource: historyObject},
			request{name: "history: delete a version of a change record", action: "s3:DeleteObjectVersion", resource: historyObject},
			request{name: "history: change the bucket policy", action: "s3:PutBucketPolicy", resource: "{HistoryBucket.Arn}"},
		)...)
	}
	return out
}

// strangerRequests: another account's administrator reaches none of the
// stack's resources.
func strangerRequests() []request {
	return stranger(
		request{name: "send to the event queue", action: "sqs:SendMessage", resource: "{EventQueue.Arn}"},
		request{name: "receive from the event queue", action: "sqs:ReceiveMessage", resource: "{EventQueue.Arn}"},
		request{name: "publish to the topic", action: "sns:Publish", resource: "{NotificationTopic}"},
		request{name: "subscribe to the topic", action: "sns:Subscribe", resource: "{NotificationTopic}"},
		request{name: "decrypt with the topic key", action: "kms:Decrypt", resource: "{TopicKey.Arn}"},
		request{name: "read a file", action: "s3:GetObject", resource: imageObject},
		request{name: "upload a file", action: "s3:PutObject", resource: imageObject},
		request{name: "list the bucket", action: "s3:ListBucket", resource: "{ImageBucket.Arn}"},
		request{name: "read the change history", action: "s3:GetObject", resource: historyObject},
		request{name: "start the reviewer", action: "lambda:InvokeFunction", resource: "{Reviewer.Arn}"},
		request{name: "send to the review dead-letter queue", action: "sqs:SendMessage", resource: "{ReviewDeadLetterQueue.Arn}"},
	)
}

// policyGroup is a set of cases on one synthesized variant.
type policyGroup struct {
	name     string
	variant  string
	requests func(w *world) []request
}

var policyGroups = []policyGroup{
	{"agency", "default", func(*world) []request { return agencyRequests(agencyRows) }},
	{"agency with agencySourceCidrs", "cidrs", func(*world) []request { return agencyRequests(agencyRows) }},
	{"agency with keyPrefix", "prefix", func(*world) []request { return agencyRequests(prefixRows) }},
	{"source address, agencySourceCidrs unset", "default", func(*world) []request { return agencyRequests(addressRows(false)) }},
	{"source address, agencySourceCidrs set", "cidrs", func(*world) []request { return agencyRequests(addressRows(true)) }},
	{"deploy diagram edges", "default", func(*world) []request { return edgeRequests() }},
	{"nameRoles", "nameroles", func(*world) []request {
		return role("NotifierRole", request{name: "list the account's roles (nameRoles on)", allowed: true, action: "iam:ListRoles", resource: "*"})
	}},
	{"change history", "default", historyRequests},
	{"strangers", "default", func(*world) []request { return strangerRequests() }},
	{"agency with AdministratorAccess attached by hand", "default", func(*world) []request { return guardrailRequests() }},
}

// guardrailRows are what the agency's explicit Denies keep from it even
// when someone attaches a broad policy to its user by hand: an explicit
// Deny wins over any Allow. Rows the broad policy does open (another
// bucket, plain IAM) are not guardrails and are left out.
var guardrailRows = []agencyRow{
	{what: "Delete a version for good", action: "s3:DeleteObjectVersion", resource: imageObject, want: never},
	{what: "Delete a version in another bucket", action: "s3:DeleteObjectVersion", resource: "arn:aws:s3:::another-bucket-of-the-account/a.jpg", want: never},
	{what: "Change a file's ACL", action: "s3:PutObjectAcl", resource: imageObject, want: never},
	{what: "Change the bucket policy", action: "s3:PutBucketPolicy", resource: "{ImageBucket.Arn}", want: never},
	{what: "Lift the public access block", action: "s3:PutBucketPublicAccessBlock", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change versioning", action: "s3:PutBucketVersioning", resource: "{ImageBucket.Arn}", want: never},
	{what: "Change the lifecycle rules", action: "s3:PutLifecycleConfiguration", resource: "{ImageBucket.Arn}", want: never},
	{what: "Delete the bucket", action: "s3:DeleteBucket", resource: "{ImageBucket.Arn}", want: never},
	{what: "Upload in the GLACIER storage class", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-storage-class": "GLACIER"}, want: never},
	{what: "Upload encrypted with a KMS key (aws:kms)", action: "s3:PutObject", resource: imageObject, ctx: map[string]string{"s3:x-amz-server-side-encryption": "aws:kms"}, want: never},
	{what: "Create itself another access key", action: "iam:CreateAccessKey", resource: agencyUser, want: rights{false, false, true}},
	{what: "Enable its own MFA device", action: "iam:EnableMFADevice", resource: agencyUser, want: selfService},
	{what: "Upload a file", action: "s3:PutObject", resource: imageObject, want: s3Work},
}

// guardrailRequests are guardrailRows for a user that also holds
// AdministratorAccess.
func guardrailRequests() []request {
	admin := []namedPolicy{{Name: "AdministratorAccess attached by hand", Policy: map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}},
	}}}
	reqs := agencyRequests(guardrailRows)
	for i := range reqs {
		reqs[i].identity = admin
	}
	return reqs
}

// evaluated is a request made concrete, or why it could not be.
type evaluated struct {
	group string
	req   request
	sim   simulation
	err   error
	res   simResult
}

// TestPolicies evaluates the synthesized template's policies as AWS would:
// identity policies through the group, resource and key policies, and
// their conditions, with @cloud-copilot/iam-simulate.
func TestPolicies(t *testing.T) {
	checkOfficeRanges(t, variant(t, "cidrs").cfg.AgencySourceCidrs)
	var all []*evaluated
	worlds := map[string]*world{}
	for _, g := range policyGroups {
		w, ok := worlds[g.variant]
		if !ok {
			w = newWorld(variant(t, g.variant).json)
			worlds[g.variant] = w
		}
		policies, err := w.resourcePolicies()
		if err != nil {
			t.Fatalf("%s: resource policies: %v", g.variant, err)
		}
		for _, r := range g.requests(w) {
			e := &evaluated{group: g.name, req: r}
			e.sim, e.err = w.simulation(r, policies)
			all = append(all, e)
		}
	}
	var sims []simulation
	var ready []*evaluated
	for _, e := range all {
		if e.err == nil {
			sims = append(sims, e.sim)
			ready = append(ready, e)
		}
	}
	for i, res := range simulate(t, sims) {
		ready[i].res = res
	}
	counts := map[string]int{}
	for _, e := range all {
		counts[e.group]++
		t.Run(e.group+"/"+e.req.name, func(t *testing.T) {
			if e.err != nil {
				t.Fatal(e.err)
			}
			if p := e.res.problem(); p != "" {
				t.Fatal(p)
			}
			if got := e.res.allowed(); got != e.req.allowed {
				t.Errorf("%s, want %s (%s on %s as %s)", e.res.OverallResult, verdict(e.req.allowed),
					e.sim.Request.Action, e.sim.Request.Resource.Resource, e.sim.Request.Principal)
			}
		})
	}
	for _, g := range policyGroups {
		t.Logf("%d cases: %s", counts[g.name], g.name)
	}
	checkAgencyTable(t, all)
}

// checkOfficeRanges makes sure the shared variant "cidrs" restricts the
// agency to ranges that hold the office's addresses and not the others,
// as the source address cases assume.
func checkOfficeRanges(t *testing.T, cidrs []string) {
	t.Helper()
	inside := func(ip string) bool {
		addr := netip.MustParseAddr(ip)
		for _, c := range cidrs {
			if p, err := netip.ParsePrefix(c); err == nil && p.Contains(addr) {
				return true
			}
		}
		return false
	}
	for ip, want := range map[string]bool{officeIPv4: true, officeIPv6: true, outsideIPv4: false, outsideIPv6: false} {
		if inside(ip) != want {
			t.Fatalf("variant cidrs: agencySourceCidrs %v: %s inside is %v, the cases assume %v", cidrs, ip, !want, want)
		}
	}
}

// simulation makes a request concrete for the evaluator.
func (w *world) simulation(r request, policies map[string]map[string]any) (simulation, error) {
	var s simulation
	var err error
	if s.Request.Principal, err = w.expand(r.principal); err != nil {
		return s, fmt.Errorf("principal: %w", err)
	}
	if s.Request.Resource.Resource, err = w.expand(r.resource); err != nil {
		return s, fmt.Errorf("resource: %w", err)
	}
	s.Request.Action = r.action
	s.Request.Resource.AccountID = r.account
	if r.account == "" {
		s.Request.Resource.AccountID = evalAccount
	}
	s.Request.ContextVariables = map[string]string{}
	if strings.HasPrefix(r.action, "s3:") {
		// S3 reports the TLS version of every request; the bucket
		// policies refuse below 1.2.
		s.Request.ContextVariables["s3:TlsVersion"] = "1.3"
	}
	for k, v := range r.ctx {
		if v == "" {
			delete(s.Request.ContextVariables, k)
			continue
		}
		if s.Request.ContextVariables[k], err = w.expand(v); err != nil {
			return s, fmt.Errorf("context %s: %w", k, err)
		}
	}
	s.IdentityPolicies = append([]namedPolicy{}, r.identity...)
	if r.policiesOf != "" {
		id, err := w.find(r.policiesOf)
		if err != nil {
			return s, err
		}
		ps, err := w.identityPolicies(id)
		if err != nil {
			return s, err
		}
		s.IdentityPolicies = append(s.IdentityPolicies, ps...)
		if s.PermissionBoundaryPolicies, err = w.permissionsBoundary(id); err != nil {
			return s, err
		}
	}
	for k := range s.Request.ContextVariables {
		if strings.HasPrefix(strings.ToLower(k), "kms:encryptioncontext:") {
			s.UncheckedContextKeys = append(s.UncheckedContextKeys, k)
		}
	}
	s.ServiceControlPolicies = []any{}
	s.ResourceControlPolicies = []any{}
	s.ResourcePolicy = resourcePolicyFor(policies, s.Request.Resource.Resource)
	return s, nil
}

const (
	tableBegin = "<!-- agency-rights:begin: generated by `go test ./cdk -run TestPolicies -update`; do not edit -->"
	tableEnd   = "<!-- agency-rights:end -->"
)

// checkAgencyTable compares the README's table of the agency's rights with
// the evaluation of the default settings, or rewrites it with -update.
func checkAgencyTable(t *testing.T, all []*evaluated) {
	t.Helper()
	var b strings.Builder
	b.WriteString("| what the agency does | IAM action |")
	for _, s := range signIns {
		b.WriteString(" " + s.name + " |")
	}
	b.WriteString("\n|---|---|---|---|---|\n")
	byName := map[string]*evaluated{}
	for _, e := range all {
		if e.group == "agency" {
			byName[e.req.name] = e
		}
	}
	for _, r := range agencyRows {
		fmt.Fprintf(&b, "| %s | `%s` |", r.what, r.action)
		for _, s := range signIns {
			e := byName[fmt.Sprintf("%s (%s), %s", r.what, r.action, s.name)]
			cell := "not evaluated"
			if e != nil && e.err == nil && e.res.problem() == "" {
				cell = verdict(e.res.allowed())
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	table := b.String()

	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start := strings.Index(readme, tableBegin)
	end := strings.Index(readme, tableEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md: the agency's rights table must sit between %q and %q", tableBegin, tableEnd)
	}
	current := readme[start+len(tableBegin) : end]
	want := "\n" + table
	if current == want {
		return
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(readme[:start+len(tableBegin)]+want+readme[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's table of the agency's rights differs from the evaluation (go test ./cdk -run TestPolicies -update rewrites it):\n--- README\n%s--- evaluation\n%s", current, want)
}
