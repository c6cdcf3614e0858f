package local

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Plan is what the harness takes from the synthesized CloudFormation
// template, so that the local run follows the stack rather than a copy of
// it: who the agency is and what it may do, what the notifier may read and
// write, which events the bucket sends, where the change history is kept,
// and how the queue feeds the notifier.
type Plan struct {
	// BucketID is the logical id of the image bucket: the bucket whose
	// notifications go to the queue.
	BucketID string
	// Versioned is the bucket's versioning setting.
	Versioned bool
	// Events are the bucket's notification event types, such as
	// "s3:ObjectCreated:*".
	Events []string

	// AgencyUser is the agency's IAM user name; AgencyPolicy its rights in
	// S3, from every policy attached to it or to its groups.
	AgencyUser   string
	AgencyPolicy Policy
	// NotifierPolicy is the notifier role's rights in S3.
	NotifierPolicy Policy

	// HistoryBucketID is the logical id of the change history's bucket:
	// the bucket the notifier's HISTORY_BUCKET refers to; "" when the
	// stack keeps no history. HistoryBucket is its local name, which
	// FunctionEnv passes as HISTORY_BUCKET, and HistoryVersioned its
	// versioning setting.
	HistoryBucketID  string
	HistoryBucket    string
	HistoryVersioned bool
	// HistoryPolicy is the history bucket's bucket policy, cut down like
	// the others.
	HistoryPolicy Policy

	// TopicName is the SNS topic the notifier publishes to.
	TopicName string
	// FunctionTimeout is the notifier's timeout; FunctionEnv the values
	// of the variables the stack sets on it: plain values as they are,
	// HISTORY_BUCKET as the history bucket's local name (TOPIC_ARN, a Ref
	// to the topic, is left to the harness).
	FunctionTimeout time.Duration
	FunctionEnv     map[string]string

	// The event source mapping and the queue's redrive policy.
	BatchSize               int
	Window                  time.Duration
	MaxConcurrency          int
	ReportBatchItemFailures bool
	MaxReceiveCount         int
}

// Policy is an IAM policy cut down to what MinIO can enforce.
type Policy struct {
	// Statements are the kept statements, with their bucket ARNs
	// resolved to the local bucket.
	Statements []Statement
	// Dropped says which statements were left out, and why.
	Dropped []Dropped
	// Relaxed says which statements were installed without their
	// Condition, because MinIO refuses it, and MinIO's reason. Only the
	// notifier's Allows are relaxed: it must keep its records locally
	// (KeepRecords; see Stack.deploy).
	Relaxed []Dropped
}

// Statement is one IAM policy statement, as JSON.
type Statement map[string]any

// Sid returns the statement's Sid, or "" when it has none.
func (s Statement) Sid() string {
	sid, _ := s["Sid"].(string)
	return sid
}

// Dropped is a statement left out of a local policy, or changed to fit.
type Dropped struct {
	Sid    string
	Reason string
}

// Document returns the policy as an IAM policy document.
func (p Policy) Document() ([]byte, error) {
	return json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": p.Statements})
}

// Sids returns the Sids of the kept statements.
func (p Policy) Sids() []string {
	var out []string
	for _, s := range p.Statements {
		out = append(out, s.Sid())
	}
	return out
}

type template struct {
	Resources map[string]resource `json:"Resources"`
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// ReadPlan reads the synthesized template at path. bucket and history are
// the local names of the image bucket and of the change history's bucket:
// every reference to either resolves to its local name.
func ReadPlan(path, bucket, history string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	var t template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("template: %s: %w", path, err)
	}
	p, err := t.plan(bucket, history)
	if err != nil {
		return nil, fmt.Errorf("template: %s: %w", path, err)
	}
	return p, nil
}

func (t *template) plan(bucket, history string) (*Plan, error) {
	p := &Plan{}

	// The image bucket is the one whose notifications the stack
	// configures (CDK's Custom::S3BucketNotifications).
	for _, id := range t.ids("Custom::S3BucketNotifications") {
		props := t.Resources[id].Properties
		bid, ok := refTo(props["BucketName"])
		if !ok {
			return nil, fmt.Errorf("%s: BucketName is not a Ref to a bucket", id)
		}
		if p.BucketID != "" && p.BucketID != bid {
			return nil, fmt.Errorf("notifications are configured on two buckets, %s and %s; the harness runs one", p.BucketID, bid)
		}
		p.BucketID = bid
		conf, _ := props["NotificationConfiguration"].(map[string]any)
		for _, kind := range []string{"QueueConfigurations", "TopicConfigurations", "LambdaFunctionConfigurations"} {
			list, _ := conf[kind].([]any)
			for _, c := range list {
				cm, _ := c.(map[string]any)
				p.Events = append(p.Events, strings1(cm["Events"])...)
			}
		}
	}
	if p.BucketID == "" {
		return nil, fmt.Errorf("no Custom::S3BucketNotifications resource: cannot tell which bucket is the image bucket")
	}
	if len(p.Events) == 0 {
		return nil, fmt.Errorf("the image bucket %s sends no events", p.BucketID)
	}
	if t.Resources[p.BucketID].Type != "AWS::S3::Bucket" {
		return nil, fmt.Errorf("%s is not an AWS::S3::Bucket", p.BucketID)
	}
	vc, _ := t.Resources[p.BucketID].Properties["VersioningConfiguration"].(map[string]any)
	p.Versioned = vc["Status"] == "Enabled"

	// The notifier: the function the event source mapping feeds. Its
	// environment says which bucket keeps the history.
	esms := t.ids("AWS::Lambda::EventSourceMapping")
	if len(esms) != 1 {
		return nil, fmt.Errorf("want exactly one AWS::Lambda::EventSourceMapping, found %d", len(esms))
	}
	esm := t.Resources[esms[0]].Properties
	fid, ok := refTo(esm["FunctionName"])
	if !ok || t.Resources[fid].Type != "AWS::Lambda::Function" {
		return nil, fmt.Errorf("%s: FunctionName is not a Ref to a function", esms[0])
	}
	fn := t.Resources[fid].Properties
	p.FunctionTimeout = time.Duration(number(fn["Timeout"], 3)) * time.Second
	p.FunctionEnv = map[string]string{}
	env, _ := fn["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	for k, v := range vars {
		switch k {
		case "TOPIC_ARN":
			continue
		case historyVariable:
			// The record is written to a bucket of the stack's own: a
			// name from elsewhere would be a bucket the harness cannot
			// create.
			id, ok := refTo(v)
			if !ok || t.Resources[id].Type != "AWS::S3::Bucket" {
				return nil, fmt.Errorf("%s: variable %s is %v, not a Ref to a bucket in the stack", fid, k, v)
			}
			if id == p.BucketID {
				return nil, fmt.Errorf("%s: variable %s names the image bucket %s", fid, k, id)
			}
			p.HistoryBucketID, p.HistoryBucket = id, history
			p.FunctionEnv[k] = history
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%s: variable %s is %v, which the harness cannot resolve", fid, k, v)
		}
		p.FunctionEnv[k] = s
	}

	r := &resolver{t: t, buckets: map[string]string{p.BucketID: bucket}}
	if p.HistoryBucketID != "" {
		r.buckets[p.HistoryBucketID] = history
	}

	// The agency: the IAM user the stack names, with its groups.
	users := t.ids("AWS::IAM::User")
	if len(users) != 1 {
		return nil, fmt.Errorf("want exactly one AWS::IAM::User (the agency), found %d", len(users))
	}
	uid := users[0]
	name, ok := t.Resources[uid].Properties["UserName"].(string)
	if !ok || name == "" {
		return nil, fmt.Errorf("%s: UserName is not a plain string", uid)
	}
	p.AgencyUser = name
	holders := []holder{{"Users", uid}}
	for _, g := range asList(t.Resources[uid].Properties["Groups"]) {
		gid, ok := refTo(g)
		if !ok {
			return nil, fmt.Errorf("%s: a group that is not a Ref: %v", uid, g)
		}
		holders = append(holders, holder{"Groups", gid})
	}
	docs, err := t.policiesOf(holders)
	if err != nil {
		return nil, err
	}
	p.AgencyPolicy = r.policy(docs, false)

	// The notifier's role.
	rid, ok := getAttOf(fn["Role"], "Arn")
	if !ok {
		return nil, fmt.Errorf("%s: Role is not a GetAtt of a role in the stack", fid)
	}
	docs, err = t.policiesOf([]holder{{"Roles", rid}})
	if err != nil {
		return nil, err
	}
	p.NotifierPolicy = r.policy(docs, false)

	// The history bucket: its versioning and its bucket policy.
	if p.HistoryBucketID != "" {
		props := t.Resources[p.HistoryBucketID].Properties
		vc, _ := props["VersioningConfiguration"].(map[string]any)
		p.HistoryVersioned = vc["Status"] == "Enabled"
		var docs []any
		for _, id := range t.ids("AWS::S3::BucketPolicy") {
			props := t.Resources[id].Properties
			if b, ok := refTo(props["Bucket"]); ok && b == p.HistoryBucketID {
				docs = append(docs, props["PolicyDocument"])
			}
		}
		p.HistoryPolicy = r.policy(docs, true)
	}

	p.BatchSize = int(number(esm["BatchSize"], 10))
	p.Window = time.Duration(number(esm["MaximumBatchingWindowInSeconds"], 0)) * time.Second
	if sc, ok := esm["ScalingConfig"].(map[string]any); ok {
		p.MaxConcurrency = int(number(sc["MaximumConcurrency"], 0))
	}
	for _, rt := range strings1(esm["FunctionResponseTypes"]) {
		if rt == "ReportBatchItemFailures" {
			p.ReportBatchItemFailures = true
		}
	}
	qid, ok := getAttOf(esm["EventSourceArn"], "Arn")
	if !ok || t.Resources[qid].Type != "AWS::SQS::Queue" {
		return nil, fmt.Errorf("%s: EventSourceArn is not a queue in the stack", esms[0])
	}
	if rp, ok := t.Resources[qid].Properties["RedrivePolicy"].(map[string]any); ok {
		p.MaxReceiveCount = int(number(rp["maxReceiveCount"], 0))
	}

	for _, id := range t.ids("AWS::SNS::Topic") {
		if n, ok := t.Resources[id].Properties["TopicName"].(string); ok && inEnvRef(fn, id) {
			p.TopicName = n
		}
	}
	if p.TopicName == "" {
		return nil, fmt.Errorf("the notifier's TOPIC_ARN is not a Ref to an SNS topic with a TopicName")
	}
	return p, nil
}

// inEnvRef reports whether the function's TOPIC_ARN refers to topic id.
func inEnvRef(fn map[string]any, id string) bool {
	env, _ := fn["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	got, ok := refTo(vars["TOPIC_ARN"])
	return ok && got == id
}

// holder is an IAM identity in the template: Users, Groups or Roles (the
// name of the property that attaches a policy to it) and its logical id.
type holder struct {
	kind, id string
}

// policiesOf returns the documents of every policy attached to the holders:
// inline (Policies), managed by Ref (ManagedPolicyArns), and AWS::IAM::Policy
// or AWS::IAM::ManagedPolicy resources that name them. A managed policy
// outside the stack (an AWS-managed ARN) cannot be read and is an error.
func (t *template) policiesOf(holders []holder) ([]any, error) {
	var docs []any
	seen := map[string]bool{}
	for _, h := range holders {
		props := t.Resources[h.id].Properties
		for _, p := range asList(props["Policies"]) {
			pm, _ := p.(map[string]any)
			docs = append(docs, pm["PolicyDocument"])
		}
		for _, arn := range asList(props["ManagedPolicyArns"]) {
			id, ok := refTo(arn)
			if !ok || t.Resources[id].Type != "AWS::IAM::ManagedPolicy" {
				return nil, fmt.Errorf("%s: managed policy %v is not in the stack, so its rights are unknown here", h.id, arn)
			}
			if !seen[id] {
				seen[id] = true
				docs = append(docs, t.Resources[id].Properties["PolicyDocument"])
			}
		}
		for _, pid := range append(t.ids("AWS::IAM::Policy"), t.ids("AWS::IAM::ManagedPolicy")...) {
			for _, ref := range asList(t.Resources[pid].Properties[h.kind]) {
				if id, ok := refTo(ref); ok && id == h.id && !seen[pid] {
					seen[pid] = true
					docs = append(docs, t.Resources[pid].Properties["PolicyDocument"])
				}
			}
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("no policy is attached to %v", holders)
	}
	return docs, nil
}

// historyVariable is the notifier's variable that names the history bucket.
const historyVariable = "HISTORY_BUCKET"

// resolver turns a template's policy statements into MinIO's.
type resolver struct {
	t *template
	// buckets maps the logical id of each bucket the harness runs to its
	// local name.
	buckets map[string]string
}

// policy keeps the statements MinIO can enforce as AWS would. MinIO knows
// only S3: it refuses a whole policy that holds an iam: action, an IAM ARN,
// the key aws:MultiFactorAuthPresent or the operator BoolIfExists. A Deny
// with NotAction is dropped whole, since without its condition it would
// deny everything. A statement that requires TLS is dropped too: the
// stand-ins speak plain HTTP on 127.0.0.1. With bucketPolicy, the docs are
// a bucket's policy, whose statements name everyone ("*") as Principal.
func (r *resolver) policy(docs []any, bucketPolicy bool) Policy {
	var p Policy
	for _, d := range docs {
		dm, _ := d.(map[string]any)
		for i, s := range asList(dm["Statement"]) {
			sm, _ := s.(map[string]any)
			st := Statement(sm)
			sid := st.Sid()
			if sid == "" {
				sid = fmt.Sprintf("#%d", i+1)
			}
			kept, reason := r.statement(st, bucketPolicy)
			if reason != "" {
				p.Dropped = append(p.Dropped, Dropped{Sid: sid, Reason: reason})
				continue
			}
			p.Statements = append(p.Statements, kept)
		}
	}
	return p
}

func (r *resolver) statement(s Statement, bucketPolicy bool) (Statement, string) {
	for _, k := range []string{"NotAction", "NotResource", "Principal", "NotPrincipal"} {
		if _, ok := s[k]; !ok || (k == "Principal" && bucketPolicy) {
			continue
		}
		return nil, "uses " + k + ", which MinIO cannot match as IAM does"
	}
	if bucketPolicy && !everyone(s["Principal"]) {
		b, _ := json.Marshal(s["Principal"])
		return nil, "names the principal " + string(b) + ": MinIO's users are not IAM principals"
	}
	actions := strings1(s["Action"])
	if len(actions) == 0 {
		return nil, "has no Action"
	}
	for _, a := range actions {
		if !strings.HasPrefix(a, "s3:") {
			return nil, "grants " + a + ": MinIO enforces only s3: actions"
		}
	}
	if c, ok := s["Condition"]; ok {
		b, _ := json.Marshal(c)
		if strings.Contains(string(b), "aws:MultiFactorAuthPresent") || strings.Contains(string(b), "IfExists") {
			return nil, "has an MFA or IfExists condition, which MinIO refuses"
		}
		if strings.Contains(string(b), "aws:SecureTransport") || strings.Contains(string(b), "s3:TlsVersion") {
			return nil, "requires TLS: the stand-ins speak plain HTTP on 127.0.0.1"
		}
	}
	var resources []string
	for _, res := range asList(s["Resource"]) {
		v, err := r.resolve(res)
		if err != nil {
			return nil, "resource " + err.Error()
		}
		if !strings.HasPrefix(v, "arn:aws:s3:::") {
			return nil, "resource " + v + " is not an S3 ARN"
		}
		resources = append(resources, v)
	}
	if len(resources) == 0 {
		return nil, "has no Resource"
	}
	out := Statement{}
	for k, v := range s {
		out[k] = v
	}
	out["Action"] = actions
	out["Resource"] = resources
	return out, ""
}

// everyone reports whether a bucket policy's Principal is everyone: "*"
// or {"AWS": "*"}.
func everyone(p any) bool {
	if s, ok := p.(string); ok {
		return s == "*"
	}
	m, ok := p.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	aws := strings1(m["AWS"])
	return len(aws) == 1 && aws[0] == "*"
}

// resolve evaluates the intrinsic functions a policy resource uses: the
// Arn and name of each bucket the harness runs, AWS::Partition and
// Fn::Join.
func (r *resolver) resolve(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if id, ok := refTo(x); ok {
			if name, ok := r.buckets[id]; ok {
				return name, nil
			}
			if id == "AWS::Partition" {
				return "aws", nil
			}
			return "", fmt.Errorf("refers to %s, which is not run locally", id)
		}
		if id, ok := getAttOf(x, "Arn"); ok {
			if name, ok := r.buckets[id]; ok {
				return "arn:aws:s3:::" + name, nil
			}
			return "", fmt.Errorf("is the ARN of %s, which is not run locally", id)
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			var parts []string
			for _, part := range asList(j[1]) {
				s, err := r.resolve(part)
				if err != nil {
					return "", err
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, sep), nil
		}
	}
	b, _ := json.Marshal(v)
	return "", fmt.Errorf("%s cannot be resolved here", b)
}

// ids returns the logical ids of resources of type typ, sorted.
func (t *template) ids(typ string) []string {
	var out []string
	for id, r := range t.Resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func refTo(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	s, ok := m["Ref"].(string)
	return s, ok
}

func getAttOf(v any, attr string) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	l, ok := m["Fn::GetAtt"].([]any)
	if !ok || len(l) != 2 || l[1] != attr {
		return "", false
	}
	s, ok := l[0].(string)
	return s, ok
}

// asList returns v as a list: IAM and CloudFormation accept a single value
// where a list is expected.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func strings1(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func number(v any, def float64) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		var f float64
		if _, err := fmt.Sscan(x, &f); err == nil {
			return f
		}
	}
	return def
}
