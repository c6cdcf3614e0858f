package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// namedPolicy is an identity policy as the evaluator takes it; the name
// says where in the template it came from.
type namedPolicy struct {
	Name   string `json:"name"`
	Policy any    `json:"policy"`
}

// awsManagedPolicyDocuments are the AWS managed policies the template may
// attach, as AWS publishes them (IAM console, policy version v1). A
// template that attaches any other fails the evaluation until its
// document is added here.
var awsManagedPolicyDocuments = map[string]any{
	"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":   "Allow",
			"Action":   []any{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
			"Resource": "*",
		}},
	},
}

// identityPolicies returns every policy IAM applies to the user or role
// with logical id id: its inline and managed policies, and for a user
// those of its groups, wherever in the template they are attached.
func (w *world) identityPolicies(id string) ([]namedPolicy, error) {
	typ := w.typeOf(id)
	if typ != "AWS::IAM::User" && typ != "AWS::IAM::Role" {
		return nil, fmt.Errorf("%s is a %s, not a user or role", id, typ)
	}
	name, err := w.name(id)
	if err != nil {
		return nil, err
	}
	c := collector{w: w}
	groups := map[string]bool{}
	if typ == "AWS::IAM::User" {
		names, err := w.resolveStrings(w.props(id)["Groups"])
		c.fail(err)
		for _, g := range names {
			groups[g] = true
		}
		for _, add := range w.ids("AWS::IAM::UserToGroupAddition") {
			users, err := w.resolveStrings(w.props(add)["Users"])
			c.fail(err)
			if slices.Contains(users, name) {
				g, err := w.resolveString(w.props(add)["GroupName"])
				c.fail(err)
				groups[g] = true
			}
		}
	}
	c.attached(id, "user or role "+name)
	for g := range groups {
		gid := w.byName("AWS::IAM::Group", g)
		if gid == "" {
			c.fail(fmt.Errorf("%s: group %s is not in the template: its policies are unknown", id, g))
			continue
		}
		c.attached(gid, "group "+g)
	}
	// Policies that name their principals: managed policies and the
	// AWS::IAM::Policy resource (Users, Groups, Roles), and the newer
	// one-principal types.
	prop := map[string]string{"AWS::IAM::User": "Users", "AWS::IAM::Role": "Roles"}[typ]
	for _, ptyp := range []string{"AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"} {
		for _, pid := range w.ids(ptyp) {
			if c.names(pid, prop, name) || typ == "AWS::IAM::User" && c.namesAny(pid, "Groups", groups) {
				c.document(pid, w.props(pid)["PolicyDocument"])
			}
		}
	}
	one := map[string][]string{
		"AWS::IAM::User": {"AWS::IAM::UserPolicy", "UserName"},
		"AWS::IAM::Role": {"AWS::IAM::RolePolicy", "RoleName"},
	}[typ]
	for _, pid := range w.ids(one[0]) {
		if n, err := w.resolveString(w.props(pid)[one[1]]); err == nil && n == name {
			c.document(pid, w.props(pid)["PolicyDocument"])
		}
	}
	for _, pid := range w.ids("AWS::IAM::GroupPolicy") {
		if n, err := w.resolveString(w.props(pid)["GroupName"]); err == nil && groups[n] {
			c.document(pid, w.props(pid)["PolicyDocument"])
		}
	}
	return c.policies, errors.Join(c.errs...)
}

// permissionsBoundary returns the boundary of a user or role, or nil.
func (w *world) permissionsBoundary(id string) ([]namedPolicy, error) {
	v, ok := w.props(id)["PermissionsBoundary"]
	if !ok {
		return nil, nil
	}
	c := collector{w: w}
	c.managed(id+".PermissionsBoundary", v)
	return c.policies, errors.Join(c.errs...)
}

// byName returns the logical id of the resource of a type with that
// physical name, or "".
func (w *world) byName(typ, name string) string {
	for _, id := range w.ids(typ) {
		if n, err := w.name(id); err == nil && n == name {
			return id
		}
	}
	return ""
}

// collector gathers resolved policies and the errors met on the way.
type collector struct {
	w        *world
	policies []namedPolicy
	errs     []error
}

func (c *collector) fail(err error) {
	if err != nil {
		c.errs = append(c.errs, err)
	}
}

// attached collects the inline Policies and ManagedPolicyArns of a user,
// group or role resource.
func (c *collector) attached(id, what string) {
	p := c.w.props(id)
	if inline, ok := p["Policies"].([]any); ok {
		for i, e := range inline {
			m, _ := e.(map[string]any)
			c.document(fmt.Sprintf("%s.Policies[%d]", id, i), m["PolicyDocument"])
		}
	} else if p["Policies"] != nil {
		c.fail(fmt.Errorf("%s (%s): Policies is not a list", id, what))
	}
	if arns, ok := p["ManagedPolicyArns"].([]any); ok {
		for i, a := range arns {
			c.managed(fmt.Sprintf("%s.ManagedPolicyArns[%d]", id, i), a)
		}
	}
}

// managed collects a managed policy by its (unresolved) ARN: one of the
// template's, or a known AWS managed policy.
func (c *collector) managed(where string, arnValue any) {
	a, err := c.w.resolveString(arnValue)
	if err != nil {
		c.fail(fmt.Errorf("%s: %w", where, err))
		return
	}
	for _, pid := range c.w.ids("AWS::IAM::ManagedPolicy") {
		if pa, err := c.w.getAtt(pid, "PolicyArn"); err == nil && pa == a {
			c.document(pid, c.w.props(pid)["PolicyDocument"])
			return
		}
	}
	if doc, ok := awsManagedPolicyDocuments[a]; ok {
		c.policies = append(c.policies, namedPolicy{Name: a, Policy: doc})
		return
	}
	c.fail(fmt.Errorf("%s: managed policy %s is neither in the template nor among the AWS managed policies the evaluation knows (awsManagedPolicyDocuments)", where, a))
}

func (c *collector) document(name string, doc any) {
	if doc == nil {
		c.fail(fmt.Errorf("%s: no PolicyDocument", name))
		return
	}
	r, err := c.w.resolve(doc)
	if err != nil {
		c.fail(fmt.Errorf("%s: %w", name, err))
		return
	}
	c.policies = append(c.policies, namedPolicy{Name: name, Policy: r})
}

// names reports whether the list property prop of resource id names the
// principal name.
func (c *collector) names(id, prop, name string) bool {
	list, err := c.w.resolveStrings(c.w.props(id)[prop])
	c.fail(err)
	return slices.Contains(list, name)
}

func (c *collector) namesAny(id, prop string, names map[string]bool) bool {
	list, err := c.w.resolveStrings(c.w.props(id)[prop])
	c.fail(err)
	for _, n := range list {
		if names[n] {
			return true
		}
	}
	return false
}

// resourcePolicies returns the template's resource policies by the ARN
// they guard: bucket policies (for the bucket and its objects), queue and
// topic policies, key policies, and Lambda permissions turned into the
// function's policy statements as Lambda writes them.
func (w *world) resourcePolicies() (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	var errs []error
	add := func(where, target string, doc any) {
		r, err := w.resolve(doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			return
		}
		m, ok := r.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: policy document is not an object", where))
			return
		}
		if _, dup := out[target]; dup {
			// Each of these services keeps one policy per resource: two in
			// one template would overwrite each other.
			errs = append(errs, fmt.Errorf("%s: a second policy for %s", where, target))
			return
		}
		out[target] = m
	}
	for _, id := range w.ids("AWS::S3::BucketPolicy") {
		bucket, err := w.resolveString(w.props(id)["Bucket"])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.Bucket: %w", id, err))
			continue
		}
		add(id, "arn:"+evalPartition+":s3:::"+bucket, w.props(id)["PolicyDocument"])
	}
	for _, id := range w.ids("AWS::SQS::QueuePolicy") {
		urls, err := w.resolveStrings(w.props(id)["Queues"])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.Queues: %w", id, err))
		}
		for _, u := range urls {
			add(id, queueArnOfURL(u), w.props(id)["PolicyDocument"])
		}
	}
	for _, id := range w.ids("AWS::SNS::TopicPolicy") {
		topics, err := w.resolveStrings(w.props(id)["Topics"])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.Topics: %w", id, err))
		}
		for _, t := range topics {
			add(id, t, w.props(id)["PolicyDocument"])
		}
	}
	for _, id := range w.ids("AWS::KMS::Key") {
		keyArn, _ := w.getAtt(id, "Arn")
		doc, ok := w.props(id)["KeyPolicy"]
		if !ok {
			// KMS's default key policy: the account's IAM policies decide.
			doc = map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Sid": "Enable IAM User Permissions", "Effect": "Allow",
				"Principal": map[string]any{"AWS": "arn:" + evalPartition + ":iam::" + evalAccount + ":root"},
				"Action":    "kms:*", "Resource": "*",
			}}}
		}
		add(id, keyArn.(string), doc)
	}
	lambda := map[string][]any{}
	for _, id := range w.ids("AWS::Lambda::Permission") {
		fn, st, err := w.permissionStatement(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lambda[fn] = append(lambda[fn], st)
	}
	for fn, sts := range lambda {
		add("AWS::Lambda::Permission", fn, map[string]any{"Version": "2012-10-17", "Statement": sts})
	}
	return out, errors.Join(errs...)
}

// queueArnOfURL turns https://sqs.<region>.<suffix>/<account>/<name> into
// the queue's ARN.
func queueArnOfURL(u string) string {
	parts := strings.Split(strings.TrimPrefix(u, "https://"), "/")
	host := strings.Split(parts[0], ".")
	if len(parts) != 3 || len(host) < 3 || host[0] != "sqs" {
		return "unparsable queue URL " + u
	}
	return arn("sqs", host[1], parts[1], parts[2])
}

// permissionStatement is the statement Lambda adds to a function's policy
// for an AWS::Lambda::Permission (Lambda's AddPermission): the principal,
// the action on the function, and SourceArn and SourceAccount as
// conditions.
func (w *world) permissionStatement(id string) (fnArn string, st map[string]any, err error) {
	r, err := w.resolve(w.props(id))
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", id, err)
	}
	p := r.(map[string]any)
	fn, _ := p["FunctionName"].(string)
	if !strings.HasPrefix(fn, "arn:") {
		fn = arn("lambda", evalRegion, evalAccount, "function:"+fn)
	}
	principal, _ := p["Principal"].(string)
	var who map[string]any
	switch {
	case strings.HasSuffix(principal, ".amazonaws.com"):
		who = map[string]any{"Service": principal}
	case principal == "*" || strings.HasPrefix(principal, "arn:"):
		who = map[string]any{"AWS": principal}
	default:
		who = map[string]any{"AWS": "arn:" + evalPartition + ":iam::" + principal + ":root"}
	}
	cond := map[string]any{}
	if v, ok := p["SourceArn"]; ok {
		cond["ArnLike"] = map[string]any{"AWS:SourceArn": v}
	}
	eq := map[string]any{}
	if v, ok := p["SourceAccount"]; ok {
		eq["AWS:SourceAccount"] = v
	}
	if v, ok := p["PrincipalOrgID"]; ok {
		eq["aws:PrincipalOrgID"] = v
	}
	if v, ok := p["FunctionUrlAuthType"]; ok {
		eq["lambda:FunctionUrlAuthType"] = v
	}
	if len(eq) > 0 {
		cond["StringEquals"] = eq
	}
	st = map[string]any{"Sid": id, "Effect": "Allow", "Principal": who, "Action": p["Action"], "Resource": fn}
	if len(cond) > 0 {
		st["Condition"] = cond
	}
	return fn, st, nil
}

// resourcePolicyFor returns the policy that guards the resource ARN, or
// nil: an S3 object is guarded by its bucket's policy.
func resourcePolicyFor(policies map[string]map[string]any, resourceArn string) map[string]any {
	if p, ok := policies[resourceArn]; ok {
		return p
	}
	if rest, ok := strings.CutPrefix(resourceArn, "arn:"+evalPartition+":s3:::"); ok {
		bucket, _, _ := strings.Cut(rest, "/")
		return policies["arn:"+evalPartition+":s3:::"+bucket]
	}
	return nil
}
