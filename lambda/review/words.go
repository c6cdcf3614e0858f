package review

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// actionWords says in plain words what common actions let someone do. An
// action not listed here is shown by its IAM name alone.
var actionWords = map[string]string{
	"s3:getobject":                   "download files",
	"s3:getobjectversion":            "download older versions of files",
	"s3:putobject":                   "upload and replace files",
	"s3:deleteobject":                "delete files",
	"s3:deleteobjectversion":         "permanently delete file versions",
	"s3:listbucket":                  "list the files",
	"s3:listbucketversions":          "list file versions",
	"s3:listallmybuckets":            "list every bucket in the account",
	"s3:getbucketlocation":           "read the bucket's region",
	"s3:listbucketmultipartuploads":  "list unfinished uploads",
	"s3:listmultipartuploadparts":    "list the parts of an upload",
	"s3:abortmultipartupload":        "cancel unfinished uploads",
	"s3:getobjecttagging":            "read file tags",
	"s3:putobjecttagging":            "change file tags",
	"s3:deleteobjecttagging":         "remove file tags",
	"s3:getobjectacl":                "read file ACLs",
	"s3:putobjectacl":                "change file ACLs",
	"s3:putobjectversionacl":         "change file version ACLs",
	"s3:restoreobject":               "restore archived files",
	"s3:putbucketacl":                "change the bucket ACL",
	"s3:putbucketpolicy":             "change the bucket policy",
	"s3:deletebucketpolicy":          "delete the bucket policy",
	"s3:putbucketversioning":         "turn versioning on or off",
	"s3:putlifecycleconfiguration":   "change lifecycle rules",
	"s3:putbucketnotification":       "change event notifications",
	"s3:putencryptionconfiguration":  "change default encryption",
	"s3:putbucketpublicaccessblock":  "change the public access block",
	"s3:putbucketownershipcontrols":  "change object ownership",
	"s3:putbucketcors":               "change CORS rules",
	"s3:putbucketwebsite":            "change website hosting",
	"s3:putreplicationconfiguration": "change replication",
	"s3:deletebucket":                "delete the bucket",
	"iam:changepassword":             "change its own console password",
	"iam:getaccountpasswordpolicy":   "read the account's password policy",
	"iam:createaccesskey":            "create access keys",
	"iam:deleteaccesskey":            "delete access keys",
	"iam:updateaccesskey":            "activate or deactivate access keys",
	"iam:listaccesskeys":             "list access keys",
	"iam:createvirtualmfadevice":     "create an MFA device",
	"iam:enablemfadevice":            "register an MFA device",
	"iam:listmfadevices":             "list MFA devices",
}

// actionText shows an action as "plain words (s3:GetObject)".
func actionText(a string) string {
	if w := actionWords[strings.ToLower(a)]; w != "" {
		return w + " (" + a + ")"
	}
	if a == "*" {
		return "every action of every AWS service (*)"
	}
	svc, name, ok := strings.Cut(a, ":")
	switch {
	case !ok:
	case name == "*":
		return fmt.Sprintf("every %s action (%s)", svc, a)
	case strings.Count(name, "*") == 1 && strings.HasSuffix(name, "*") && !strings.Contains(name, "?"):
		return fmt.Sprintf("every %s action starting with %s (%s)", svc, strings.TrimSuffix(name, "*"), a)
	}
	return a
}

// resourceText shows a resource as "plain words (arn)" where it can.
func resourceText(r string) string {
	if w := resourceWords(r); w != "" {
		return w + " (" + r + ")"
	}
	return r
}

func resourceWords(r string) string {
	if r == "*" {
		return "any resource"
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	switch parts[2] {
	case "s3":
		return s3Words(parts[5])
	case "iam":
		kind, name, ok := strings.Cut(parts[5], "/")
		if ok && !strings.ContainsAny(name, "*?") {
			return fmt.Sprintf("IAM %s %s", kind, name)
		}
	}
	return ""
}

func s3Words(rest string) string {
	bucket, key, hasKey := strings.Cut(rest, "/")
	switch {
	case bucket == "*" && !hasKey:
		// In IAM "*" matches "/" too: this is every object as well.
		return "every bucket and every file in every bucket"
	case bucket == "*" && key == "*":
		return "every file in every bucket"
	case strings.ContainsAny(bucket, "*?"):
		return ""
	case !hasKey:
		return "bucket " + bucket
	case key == "*":
		return "every file in bucket " + bucket
	case strings.Count(key, "*") == 1 && strings.HasSuffix(key, "*") && !strings.Contains(key, "?"):
		return fmt.Sprintf("files under %s/%s in bucket %s", bucket, strings.TrimSuffix(key, "*"), bucket)
	case !strings.ContainsAny(key, "*?"):
		return fmt.Sprintf("file %s in bucket %s", key, bucket)
	}
	return ""
}

// conditionText turns a canonical condition into lines such as
// `Bool aws:multifactorauthpresent is false`.
func conditionText(canon string) []string {
	if canon == "" {
		return nil
	}
	var ops map[string]map[string][]string
	if err := json.Unmarshal([]byte(canon), &ops); err != nil {
		return []string{canon}
	}
	var out []string
	for op, keys := range ops {
		for k, vals := range keys {
			out = append(out, fmt.Sprintf("%s %s is %s", op, k, strings.Join(vals, " or ")))
		}
	}
	sort.Strings(out)
	return out
}
