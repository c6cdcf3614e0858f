package review

import (
	"fmt"
	"slices"
	"strings"
)

// place is how a policy reaches the user.
type place int

const (
	userInline place = iota
	userManaged
	groupInline
	groupManaged
)

// source is one policy as it reaches the user.
type source struct {
	place  place
	group  string
	policy Policy
}

// sources lists every policy that reaches u, in a fixed order: the user's
// inline policies, its managed policies, then each group's.
func sources(u User) []source {
	var out []source
	for _, p := range u.InlinePolicies {
		out = append(out, source{place: userInline, policy: p})
	}
	for _, p := range u.AttachedPolicies {
		out = append(out, source{place: userManaged, policy: p})
	}
	for _, g := range u.Groups {
		for _, p := range g.InlinePolicies {
			out = append(out, source{place: groupInline, group: g.Name, policy: p})
		}
		for _, p := range g.AttachedPolicies {
			out = append(out, source{place: groupManaged, group: g.Name, policy: p})
		}
	}
	return out
}

// awsManaged reports whether the policy is one of AWS's own, which no one
// can edit: the only fix is to detach it.
func (s source) awsManaged() bool {
	return strings.Contains(s.policy.Arn, ":iam::aws:policy/")
}

// describe names the policy and where it is, e.g.
// `managed policy "AmazonS3FullAccess" attached to user mediacouser`.
func (s source) describe(user string) string {
	kind := "managed policy"
	if s.awsManaged() {
		kind = "AWS managed policy"
	}
	switch s.place {
	case userInline:
		return fmt.Sprintf("inline policy %q on user %s", s.policy.Name, user)
	case userManaged:
		return fmt.Sprintf("%s %q attached to user %s", kind, s.policy.Name, user)
	case groupInline:
		return fmt.Sprintf("inline policy %q on group %s", s.policy.Name, s.group)
	default:
		return fmt.Sprintf("%s %q attached to group %s", kind, s.policy.Name, s.group)
	}
}

// statementName names a statement by Sid and position: `"ReadWrite" (#1)`,
// or `#2` when it has no Sid.
func statementName(sid string, index int) string {
	if sid == "" {
		return fmt.Sprintf("#%d", index)
	}
	return fmt.Sprintf("%q (#%d)", sid, index)
}

// gapKind says how an actual statement reaches beyond the intended policy.
type gapKind int

const (
	// gapAction: no intended statement with the same effect names the action.
	gapAction gapKind = iota
	// gapResource: the action is intended, but on narrower resources.
	gapResource
	// gapCondition: intended only under a condition the statement lacks.
	gapCondition
	// gapNotForm: NotAction or NotResource with no identical intended
	// statement; such statements are compared only for equality.
	gapNotForm
)

// gap is one action on one resource that the intended policy does not cover.
type gap struct {
	kind             gapKind
	action, resource string
}

// located is a statement and the policy it sits in.
type located struct {
	src   *source
	index int // 1-based position in the policy
	st    Statement
}

// driftedPolicy is a policy with statements beyond the intended policy.
type driftedPolicy struct {
	src        *source
	statements []drifted
	whole      bool // every statement drifted and removing the policy loses nothing intended
}

type drifted struct {
	located
	gaps  []gap
	whole bool // removing it loses nothing intended: delete it
}

// unheld is an intended statement that the actual policies do not carry in
// full: the pairs left out, or all of it (whole) for NotAction/NotResource.
type unheld struct {
	index int
	st    Statement
	pairs []gap
	whole bool
}

// compare holds the actual statements against the intended ones. drifts are
// actual statements not covered by an intended statement with the same
// effect; missing are intended Deny statements the actual policies no
// longer carry (removed guardrails); ungranted are intended Allow
// statements the user does not have, which restricts but does not widen.
//
// A drifted statement, or a wholly drifted policy, is marked whole when
// removing it loses nothing the intended policy asks for: then the fix is
// to delete it; otherwise the fix trims it.
func compare(srcs []source, intended Document) (drifts []driftedPolicy, missing, ungranted []unheld) {
	var all []located
	for i := range srcs {
		if srcs[i].policy.Err != nil {
			continue
		}
		for j, st := range srcs[i].policy.Document.Statements {
			all = append(all, located{&srcs[i], j + 1, st})
		}
	}
	baseline := uncarriedKeys(intended.Statements, all, nil)
	removable := func(skip func(located) bool) bool {
		for k := range uncarriedKeys(intended.Statements, all, skip) {
			if !baseline[k] {
				return false
			}
		}
		return true
	}
	for i := range srcs {
		src := &srcs[i]
		if src.policy.Err != nil {
			continue
		}
		dp := driftedPolicy{src: src}
		for _, l := range all {
			if l.src != src {
				continue
			}
			if g := gaps(l.st, intended.Statements); len(g) > 0 {
				whole := removable(func(o located) bool { return o.src == src && o.index == l.index })
				dp.statements = append(dp.statements, drifted{l, g, whole})
			}
		}
		if len(dp.statements) > 0 {
			dp.whole = len(dp.statements) == len(src.policy.Document.Statements) &&
				removable(func(o located) bool { return o.src == src })
			drifts = append(drifts, dp)
		}
	}
	for i, want := range intended.Statements {
		pairs, whole := uncarried(want, statements(all, nil))
		if len(pairs) == 0 && !whole {
			continue
		}
		u := unheld{index: i + 1, st: want, pairs: pairs, whole: whole}
		if want.Allow() {
			ungranted = append(ungranted, u)
		} else {
			missing = append(missing, u)
		}
	}
	return drifts, missing, ungranted
}

// statements lists the statements of all but those skip picks.
func statements(all []located, skip func(located) bool) []Statement {
	var out []Statement
	for _, l := range all {
		if skip == nil || !skip(l) {
			out = append(out, l.st)
		}
	}
	return out
}

// uncarriedKeys names every part of the intended policy that the actual
// statements, less those skip picks, do not carry.
func uncarriedKeys(intended []Statement, all []located, skip func(located) bool) map[string]bool {
	actual := statements(all, skip)
	keys := map[string]bool{}
	for i, want := range intended {
		pairs, whole := uncarried(want, actual)
		if whole {
			keys[fmt.Sprintf("%d", i)] = true
		}
		for _, p := range pairs {
			keys[fmt.Sprintf("%d\x00%s\x00%s", i, p.action, p.resource)] = true
		}
	}
	return keys
}

// gaps returns what st grants or denies beyond the intended statements.
func gaps(st Statement, intended []Statement) []gap {
	if st.NotAction || st.NotResource {
		for _, in := range intended {
			if sameForm(in, st) && (in.Condition == "" || in.Condition == st.Condition) {
				return nil
			}
		}
		return []gap{{kind: gapNotForm}}
	}
	var out []gap
	for _, a := range st.Actions {
		for _, r := range st.Resources {
			if coveredBy(intended, st.Effect, st.Condition, a, r, true) {
				continue
			}
			kind := gapAction
			switch {
			case coveredBy(intended, st.Effect, st.Condition, a, r, false):
				kind = gapCondition
			case len(intendedResources(intended, st.Effect, a)) > 0:
				kind = gapResource
			}
			out = append(out, gap{kind: kind, action: a, resource: r})
		}
	}
	return out
}

// coveredBy reports whether an intended statement with the given effect
// covers action on resource. A conditional intended statement covers only a
// statement with the very same condition, unless checkCond is false.
func coveredBy(intended []Statement, effect, cond, action, resource string, checkCond bool) bool {
	for _, in := range intended {
		if in.Effect != effect || in.NotAction || in.NotResource {
			continue
		}
		if checkCond && in.Condition != "" && in.Condition != cond {
			continue
		}
		if anyCovers(in.Actions, action, true) && anyCovers(in.Resources, resource, false) {
			return true
		}
	}
	return false
}

// intendedResources lists the resources the intended statements with the
// given effect name for action.
func intendedResources(intended []Statement, effect, action string) []string {
	var out []string
	for _, in := range intended {
		if in.Effect != effect || in.NotAction || in.NotResource || !anyCovers(in.Actions, action, true) {
			continue
		}
		for _, r := range in.Resources {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// uncarried returns the pairs of want that no actual statement with the
// same effect carries. An actual statement carries a pair when it covers it
// with no condition or with want's own condition, so a guardrail weakened
// by a condition counts as missing.
func uncarried(want Statement, actual []Statement) (pairs []gap, whole bool) {
	if want.NotAction || want.NotResource {
		for _, a := range actual {
			if sameForm(a, want) && (a.Condition == "" || a.Condition == want.Condition) {
				return nil, false
			}
		}
		return nil, true
	}
	for _, act := range want.Actions {
		for _, res := range want.Resources {
			carried := false
			for _, a := range actual {
				if a.Effect != want.Effect || a.NotAction || a.NotResource {
					continue
				}
				if a.Condition != "" && a.Condition != want.Condition {
					continue
				}
				if anyCovers(a.Actions, act, true) && anyCovers(a.Resources, res, false) {
					carried = true
					break
				}
			}
			if !carried {
				pairs = append(pairs, gap{action: act, resource: res})
			}
		}
	}
	return pairs, false
}

// sameForm reports whether a and b have the same effect, actions and
// resources, including their Not forms.
func sameForm(a, b Statement) bool {
	return a.Effect == b.Effect &&
		a.NotAction == b.NotAction && sameSet(a.Actions, b.Actions, true) &&
		a.NotResource == b.NotResource && sameSet(a.Resources, b.Resources, false)
}

// gapGroup is actions that share a kind of gap, the resources they reach
// and, for a wider resource, the resources intended for them.
type gapGroup struct {
	kind      gapKind
	actions   []string
	resources []string
	intended  []string
}

// groupGaps folds gaps into as few lines as say the same: each action's
// resources first, then the actions with equal ones. intendedFor, when
// given, names the resources intended for an action with a wider one.
func groupGaps(gs []gap, intendedFor func(action string) []string) []gapGroup {
	type actionKey struct {
		kind   gapKind
		action string
	}
	var acts []gapGroup
	at := map[actionKey]int{}
	for _, g := range gs {
		if g.kind == gapNotForm {
			continue
		}
		k := actionKey{g.kind, g.action}
		i, ok := at[k]
		if !ok {
			i = len(acts)
			at[k] = i
			acts = append(acts, gapGroup{kind: g.kind, actions: []string{g.action}})
		}
		acts[i].resources = append(acts[i].resources, g.resource)
	}
	type groupKey struct {
		kind                gapKind
		resources, intended string
	}
	var out []gapGroup
	grouped := map[groupKey]int{}
	for _, a := range acts {
		if a.kind == gapResource && intendedFor != nil {
			a.intended = intendedFor(a.actions[0])
		}
		k := groupKey{a.kind, strings.Join(a.resources, "\x00"), strings.Join(a.intended, "\x00")}
		if i, ok := grouped[k]; ok {
			out[i].actions = append(out[i].actions, a.actions[0])
			continue
		}
		grouped[k] = len(out)
		out = append(out, a)
	}
	return out
}
