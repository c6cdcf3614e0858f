package verify

import "strings"

// agencyAddress says how the agency proves that agencySourceCidrs refuses
// it elsewhere. Nothing here can prove it: the limit holds for the
// agency's user, and the administrator's credentials are not theirs.
func (r *run) agencyAddress() Result {
	res := Result{Check: CheckAgencyAddress, Status: Skip}
	s := r.settings
	switch {
	case !s.found:
		res.Detail = "the stack has no " + OutputSettings + " output, so whether agencySourceCidrs is set is not known"
		res.Fix = []string{"If it is set, have the agency check it as cdk/README.md says (Check the deploy)."}
		return res
	case s.err != nil:
		res.Detail = "the " + OutputSettings + " output does not parse: " + s.err.Error()
		return res
	case len(s.cidrs) == 0:
		res.Detail = "agencySourceCidrs is not set: the agency may connect from any address"
		return res
	}
	bucket := orDefault(r.outputs[OutputBucketName], "<bucket>")
	res.Status = Manual
	res.Detail = "agencySourceCidrs is " + strings.Join(s.cidrs, ", ") + ": only the agency can show it is refused from elsewhere"
	res.Fix = []string{
		"From outside those addresses (a phone's hotspot, say), the agency runs:",
		"  aws s3 ls s3://" + bucket + "/" + s.keyPrefix + " --profile bucketbell-agency",
		"It must fail with AccessDenied; the same command from the office lists the files.",
		"In the console, from outside, the bucket's page (" + OutputBucketConsoleURL + " output) must show that access is denied.",
	}
	return res
}
