package digest

import "github.com/bucketbell/bucketbell/lambda/change"

// Notable marks the changes of one digest that a reader must not miss; the
// others are routine. This is the one place that rule is written down: the
// e-mail, the JSON copy and the subject all follow it.
//
// A change is routine when it is a new upload or a copy in (change.Uploaded
// or change.Copied) that carries no warning. Everything else is notable:
//
//   - a warning: a file that is not an image, or whose content contradicts
//     its name or type;
//   - a deletion, permanent or recoverable, by a person or by lifecycle;
//   - a replacement of an existing object (enrichment tells it from a new
//     upload);
//   - an ACL, tag, restore, storage-class, replication or lost-object event,
//     and any event bucketbell does not know;
//   - any change by a rare actor: one who made under a tenth of the digest's
//     changes while another actor made over half of them, such as a
//     colleague's upload among an agency's bulk.
//
// Unreadable input (change.Problem) is notable too; the digest names it in
// a section of its own.
//
// The result is in the order of changes. The rare-actor part depends on
// the whole digest, so the same change can be routine in one digest and
// notable in another.
func Notable(changes []change.Change) []bool {
	n := len(changes)
	per := make(map[string]int, 4)
	most := 0
	for i := range changes {
		k := per[changes[i].Actor] + 1
		per[changes[i].Actor] = k
		most = max(most, k)
	}
	dominated := most*2 > n
	out := make([]bool, n)
	for i := range changes {
		c := &changes[i]
		out[i] = !routineKind(c) || (dominated && per[c.Actor]*10 < n)
	}
	return out
}

// routineKind reports whether c, seen on its own, is routine: a new upload
// or a copy in without a warning.
func routineKind(c *change.Change) bool {
	return (c.Kind == change.Uploaded || c.Kind == change.Copied) && c.Warning == ""
}
