package review

import "strings"

// covers reports whether every string the IAM pattern specific matches is
// also matched by the IAM pattern general. Both may hold the IAM wildcards
// * (any run of characters) and ? (one character).
//
// It walks general over specific as if specific were plain text, with two
// rules that keep the answer safe: a literal in general never matches a
// wildcard in specific, and ? in general never matches * in specific. So
// "s3:*" covers "s3:Get*", while "s3:Get*" does not cover "s3:*" and
// "s3:GetObject" does not cover "s3:Get*". It may answer false where a
// union of patterns would cover, never true where they do not.
func covers(general, specific string, foldCase bool) bool {
	if foldCase {
		general, specific = strings.ToLower(general), strings.ToLower(specific)
	}
	one := func(p, c byte) bool {
		if p == '?' {
			return c != '*'
		}
		return p == c
	}
	// The classic linear wildcard match, backtracking to the last star.
	g, s := 0, 0
	star, mark := -1, 0
	for s < len(specific) {
		switch {
		case g < len(general) && general[g] == '*':
			star, mark = g, s
			g++
		case g < len(general) && one(general[g], specific[s]):
			g++
			s++
		case star >= 0:
			g = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for g < len(general) && general[g] == '*' {
		g++
	}
	return g == len(general)
}

// anyCovers reports whether one of generals covers specific.
func anyCovers(generals []string, specific string, foldCase bool) bool {
	for _, g := range generals {
		if covers(g, specific, foldCase) {
			return true
		}
	}
	return false
}

// sameSet reports whether a and b hold the same patterns, in any order.
func sameSet(a, b []string, foldCase bool) bool {
	in := func(x string, list []string) bool {
		for _, y := range list {
			if x == y || (foldCase && strings.EqualFold(x, y)) {
				return true
			}
		}
		return false
	}
	for _, x := range a {
		if !in(x, b) {
			return false
		}
	}
	for _, y := range b {
		if !in(y, a) {
			return false
		}
	}
	return true
}
