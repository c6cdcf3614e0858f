package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The account, Region and partition the policy evaluation deploys the
// template into, and a second account for strangers.
const (
	evalAccount   = "111122223333"
	otherAccount  = "444455556666"
	evalRegion    = "us-east-1"
	evalPartition = "aws"
	evalURLSuffix = "amazonaws.com"
)

// world is a synthesized template made concrete: each intrinsic function
// resolved to the value CloudFormation would give it in evalAccount and
// evalRegion. Resources without an explicit name get a deterministic
// physical name made from their logical id, as CloudFormation makes one
// from the stack name and the logical id.
type world struct {
	resources map[string]map[string]any
}

func newWorld(template map[string]any) *world {
	w := &world{resources: map[string]map[string]any{}}
	res, _ := template["Resources"].(map[string]any)
	for id, r := range res {
		if m, ok := r.(map[string]any); ok {
			w.resources[id] = m
		}
	}
	return w
}

func (w *world) typeOf(id string) string {
	t, _ := w.resources[id]["Type"].(string)
	return t
}

func (w *world) props(id string) map[string]any {
	p, _ := w.resources[id]["Properties"].(map[string]any)
	return p
}

// ids returns the logical ids of a resource type, sorted.
func (w *world) ids(typ string) []string {
	var out []string
	for id := range w.resources {
		if w.typeOf(id) == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

var cdkHash = regexp.MustCompile(`^[0-9A-F]{8}$`)

// find returns the one logical id that is prefix followed by the 8-hex hash
// CDK appends, or failing that the one logical id starting with prefix.
func (w *world) find(prefix string) (string, error) {
	var exact, loose []string
	for id := range w.resources {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		loose = append(loose, id)
		if cdkHash.MatchString(id[len(prefix):]) {
			exact = append(exact, id)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(exact) == 0 && len(loose) == 1:
		return loose[0], nil
	case len(exact)+len(loose) == 0:
		return "", fmt.Errorf("no resource with logical id %s<hash> in the template", prefix)
	}
	sort.Strings(loose)
	return "", fmt.Errorf("logical id prefix %s is ambiguous: %v", prefix, loose)
}

// resolve returns v with every intrinsic function replaced by its value.
func (w *world) resolve(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return w.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := w.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := w.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// resolveString resolves v and requires a string.
func (w *world) resolveString(v any) (string, error) {
	r, err := w.resolve(v)
	if err != nil {
		return "", err
	}
	switch s := r.(type) {
	case string:
		return s, nil
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("want a string, got %s", jsonOf(r))
}

// resolveStrings resolves a string or a list of strings.
func (w *world) resolveStrings(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	r, err := w.resolve(v)
	if err != nil {
		return nil, err
	}
	list, ok := r.([]any)
	if !ok {
		list = []any{r}
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, err := w.resolveString(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (w *world) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return w.ref(name)
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 {
				id, _ = a[0].(string)
				attr, _ = a[1].(string)
			}
		case string:
			id, attr, _ = strings.Cut(a, ".")
		}
		if id == "" || attr == "" {
			return nil, fmt.Errorf("Fn::GetAtt %s: want [logicalId, attribute]", jsonOf(arg))
		}
		return w.getAtt(id, attr)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Join %s: want [separator, list]", jsonOf(arg))
		}
		sep, _ := a[0].(string)
		parts, err := w.resolveStrings(a[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Join: %w", err)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Split %s: want [separator, string]", jsonOf(arg))
		}
		sep, _ := a[0].(string)
		s, err := w.resolveString(a[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Split: %w", err)
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Select %s: want [index, list]", jsonOf(arg))
		}
		idx, err := w.resolveString(a[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::Select: %w", err)
		}
		i, err := strconv.Atoi(idx)
		list, lerr := w.resolve(a[1])
		l, ok := list.([]any)
		if err != nil || lerr != nil || !ok || i < 0 || i >= len(l) {
			return nil, fmt.Errorf("Fn::Select %s: index out of range or not a list", jsonOf(arg))
		}
		return l[i], nil
	case "Fn::Sub":
		return w.sub(arg)
	}
	return nil, fmt.Errorf("%s: not supported by the policy evaluation's resolver", fn)
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// sub resolves Fn::Sub: "${Name}" is a Ref, "${Id.Attr}" a GetAtt, and
// "${!Literal}" stays "${Literal}".
func (w *world) sub(arg any) (any, error) {
	var s string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		s = a
	case []any:
		if len(a) == 2 {
			s, _ = a[0].(string)
			m, _ := a[1].(map[string]any)
			for k, v := range m {
				vars[k] = v
			}
		}
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v, err = w.resolve(x)
		} else if id, attr, ok := strings.Cut(name, "."); ok {
			v, err = w.getAtt(id, attr)
		} else {
			v, err = w.ref(name)
		}
		str, isString := v.(string)
		if err == nil && !isString {
			err = fmt.Errorf("${%s} is not a string", name)
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("Fn::Sub: %w", err)
		}
		return str
	})
	return strings.ReplaceAll(out, "${!", "${"), firstErr
}

func (w *world) ref(name string) (any, error) {
	switch name {
	case "AWS::Partition":
		return evalPartition, nil
	case "AWS::Region":
		return evalRegion, nil
	case "AWS::AccountId":
		return evalAccount, nil
	case "AWS::URLSuffix":
		return evalURLSuffix, nil
	case "AWS::StackName":
		return StackName, nil
	case "AWS::StackId":
		return arn("cloudformation", evalRegion, evalAccount, "stack/"+StackName+"/"+uuidOf(StackName)), nil
	}
	if _, ok := w.resources[name]; !ok {
		return nil, fmt.Errorf("Ref %s: no such resource or pseudo parameter", name)
	}
	switch w.typeOf(name) {
	case "AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group",
		"AWS::Lambda::Function", "AWS::Logs::LogGroup", "AWS::Events::Rule", "AWS::CloudWatch::Alarm":
		return w.name(name)
	case "AWS::SQS::Queue":
		return w.getAtt(name, "QueueUrl")
	case "AWS::SNS::Topic":
		return w.getAtt(name, "TopicArn")
	case "AWS::KMS::Key":
		return w.getAtt(name, "KeyId")
	case "AWS::IAM::ManagedPolicy":
		return w.getAtt(name, "PolicyArn")
	case "AWS::SecretsManager::Secret":
		return w.getAtt(name, "Id")
	}
	return nil, fmt.Errorf("Ref %s: resource type %s not supported by the resolver", name, w.typeOf(name))
}

func (w *world) getAtt(id, attr string) (any, error) {
	if _, ok := w.resources[id]; !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	}
	name, err := w.name(id)
	if err != nil {
		return nil, err
	}
	path := "/"
	if p, ok := w.props(id)["Path"]; ok {
		if path, err = w.resolveString(p); err != nil {
			return nil, fmt.Errorf("%s.Path: %w", id, err)
		}
	}
	typ := w.typeOf(id)
	switch typ + "." + attr {
	case "AWS::S3::Bucket.Arn":
		return "arn:" + evalPartition + ":s3:::" + name, nil
	case "AWS::S3::Bucket.DomainName":
		return name + ".s3." + evalURLSuffix, nil
	case "AWS::S3::Bucket.RegionalDomainName":
		return name + ".s3." + evalRegion + "." + evalURLSuffix, nil
	case "AWS::SQS::Queue.Arn":
		return arn("sqs", evalRegion, evalAccount, name), nil
	case "AWS::SQS::Queue.QueueName":
		return name, nil
	case "AWS::SQS::Queue.QueueUrl":
		return "https://sqs." + evalRegion + "." + evalURLSuffix + "/" + evalAccount + "/" + name, nil
	case "AWS::SNS::Topic.TopicArn":
		return arn("sns", evalRegion, evalAccount, name), nil
	case "AWS::SNS::Topic.TopicName":
		return name, nil
	case "AWS::KMS::Key.KeyId":
		return name, nil
	case "AWS::KMS::Key.Arn":
		return arn("kms", evalRegion, evalAccount, "key/"+name), nil
	case "AWS::IAM::Role.Arn":
		return arn("iam", "", evalAccount, "role"+path+name), nil
	case "AWS::IAM::Role.RoleId":
		return "AROA" + uniqueID(id), nil
	case "AWS::IAM::User.Arn":
		return arn("iam", "", evalAccount, "user"+path+name), nil
	case "AWS::IAM::Group.Arn":
		return arn("iam", "", evalAccount, "group"+path+name), nil
	case "AWS::IAM::ManagedPolicy.PolicyArn":
		return arn("iam", "", evalAccount, "policy"+path+name), nil
	case "AWS::Lambda::Function.Arn":
		return arn("lambda", evalRegion, evalAccount, "function:"+name), nil
	case "AWS::Logs::LogGroup.Arn":
		// CloudFormation's Arn of a log group ends in :*.
		return arn("logs", evalRegion, evalAccount, "log-group:"+name+":*"), nil
	case "AWS::Events::Rule.Arn":
		return arn("events", evalRegion, evalAccount, "rule/"+name), nil
	case "AWS::CloudWatch::Alarm.Arn":
		return arn("cloudwatch", evalRegion, evalAccount, "alarm:"+name), nil
	case "AWS::SecretsManager::Secret.Id":
		return arn("secretsmanager", evalRegion, evalAccount, "secret:"+name+"-"+uniqueID(id)[:6]), nil
	}
	return nil, fmt.Errorf("Fn::GetAtt %s.%s: attribute of %s not supported by the resolver", id, attr, typ)
}

// nameProps are the properties that name each resource type, and the
// longest name AWS allows.
var nameProps = map[string]struct {
	prop string
	max  int
}{
	"AWS::S3::Bucket":             {"BucketName", 63},
	"AWS::SQS::Queue":             {"QueueName", 80},
	"AWS::SNS::Topic":             {"TopicName", 256},
	"AWS::IAM::Role":              {"RoleName", 64},
	"AWS::IAM::User":              {"UserName", 64},
	"AWS::IAM::Group":             {"GroupName", 128},
	"AWS::IAM::ManagedPolicy":     {"ManagedPolicyName", 128},
	"AWS::Lambda::Function":       {"FunctionName", 64},
	"AWS::Logs::LogGroup":         {"LogGroupName", 512},
	"AWS::Events::Rule":           {"Name", 64},
	"AWS::CloudWatch::Alarm":      {"AlarmName", 255},
	"AWS::SecretsManager::Secret": {"Name", 512},
}

// name returns a resource's physical name: its name property, or one made
// up from the stack name and logical id (lower case for buckets). A key's
// name is its key id.
func (w *world) name(id string) (string, error) {
	typ := w.typeOf(id)
	if typ == "AWS::KMS::Key" {
		return uuidOf(id), nil
	}
	np, ok := nameProps[typ]
	if !ok {
		return "", fmt.Errorf("%s: resource type %s has no physical name in the resolver", id, typ)
	}
	if v, ok := w.props(id)[np.prop]; ok {
		s, err := w.resolveString(v)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", id, np.prop, err)
		}
		return s, nil
	}
	s := StackName + "-" + id
	if typ == "AWS::S3::Bucket" {
		s = strings.ToLower(s)
	}
	if len(s) > np.max {
		s = s[:np.max]
	}
	return s, nil
}

func arn(service, region, account, resource string) string {
	return "arn:" + evalPartition + ":" + service + ":" + region + ":" + account + ":" + resource
}

// uuidOf makes a stable UUID-shaped id from s.
func uuidOf(s string) string {
	h := sha256.Sum256([]byte(s))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// uniqueID makes a stable IAM-style unique id suffix from s.
func uniqueID(s string) string {
	h := sha256.Sum256([]byte(s))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	for _, c := range h[:17] {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}

// placeholder is {LogicalIdPrefix} (its Ref), {LogicalIdPrefix.Attribute}
// (its GetAtt) or {RolePrefix.Session} (an assumed-role session of the
// role, as Lambda's functions call AWS).
var placeholder = regexp.MustCompile(`\{([A-Za-z][A-Za-z0-9]*)(?:\.([A-Za-z]+))?\}`)

// expand replaces the placeholders in s with values from the template.
func (w *world) expand(s string) (string, error) {
	var errs []error
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		id, err := w.find(sub[1])
		if err != nil {
			errs = append(errs, err)
			return m
		}
		var v any
		switch sub[2] {
		case "":
			v, err = w.ref(id)
		case "Session":
			v, err = w.roleSession(id)
		default:
			v, err = w.getAtt(id, sub[2])
		}
		str, ok := v.(string)
		if err == nil && !ok {
			err = fmt.Errorf("%s is not a string", m)
		}
		if err != nil {
			errs = append(errs, err)
			return m
		}
		return str
	})
	return out, errors.Join(errs...)
}

// roleSession is the ARN of a session of the role, named as Lambda names
// its functions' sessions.
func (w *world) roleSession(roleID string) (string, error) {
	if w.typeOf(roleID) != "AWS::IAM::Role" {
		return "", fmt.Errorf("%s is a %s, not a role", roleID, w.typeOf(roleID))
	}
	name, err := w.name(roleID)
	if err != nil {
		return "", err
	}
	return "arn:" + evalPartition + ":sts::" + evalAccount + ":assumed-role/" + name + "/" + StackName + "-function", nil
}
