package change

import "strings"

// Kind says what happened to an object in the words the e-mail uses. Kinds
// group a digest's lines and count its subject.
type Kind string

// The kinds bucketbell knows. Uploaded becomes Replaced, and the delete
// kinds gain detail, when enrichment can see the object's versions.
const (
	Uploaded           Kind = "uploaded"
	Replaced           Kind = "replaced"
	Copied             Kind = "copied in"
	DeletedRecoverable Kind = "deleted, recoverable"
	DeletedPermanently Kind = "deleted permanently"
	ExpiredRecoverable Kind = "expired by lifecycle, recoverable"
	ExpiredPermanently Kind = "expired by lifecycle, permanently deleted"
	Transitioned       Kind = "moved to another storage class by lifecycle"
	Tiered             Kind = "moved to an Intelligent-Tiering archive tier"
	RestoreStarted     Kind = "restore from archive started"
	Restored           Kind = "restored from archive"
	RestoreExpired     Kind = "temporary restored copy expired"
	Lost               Kind = "lost from Reduced Redundancy storage"
	ReplicationFailed  Kind = "replication failed"
	ReplicationLate    Kind = "replication missed its time threshold"
	ReplicatedLate     Kind = "replicated after its time threshold"
	ReplicationUntrack Kind = "replication no longer tracked"
	TagsChanged        Kind = "tags changed"
	TagsRemoved        Kind = "tags removed"
	ACLChanged         Kind = "access control list changed"
)

// unknownPrefix starts the Kind of an event name nobody knows yet, so that
// it is still reported, under its raw name.
const unknownPrefix = "unrecognised event "

type kindInfo struct {
	kind Kind
	// short is the word the subject counts with: "3 uploaded".
	short string
}

// byEvent maps every S3 event name documented today to its wording.
var byEvent = map[string]kindInfo{
	"ObjectCreated:Put":                             {Uploaded, "uploaded"},
	"ObjectCreated:Post":                            {Uploaded, "uploaded"},
	"ObjectCreated:CompleteMultipartUpload":         {Uploaded, "uploaded"},
	"ObjectCreated:Copy":                            {Copied, "copied"},
	"ObjectRemoved:DeleteMarkerCreated":             {DeletedRecoverable, "deleted"},
	"ObjectRemoved:Delete":                          {DeletedPermanently, "deleted permanently"},
	"LifecycleExpiration:DeleteMarkerCreated":       {ExpiredRecoverable, "expired"},
	"LifecycleExpiration:Delete":                    {ExpiredPermanently, "expired permanently"},
	"LifecycleTransition":                           {Transitioned, "transitioned"},
	"IntelligentTiering":                            {Tiered, "archived"},
	"ObjectRestore:Post":                            {RestoreStarted, "restoring"},
	"ObjectRestore:Completed":                       {Restored, "restored"},
	"ObjectRestore:Delete":                          {RestoreExpired, "restore expired"},
	"ReducedRedundancyLostObject":                   {Lost, "lost"},
	"Replication:OperationFailedReplication":        {ReplicationFailed, "replication failed"},
	"Replication:OperationMissedThreshold":          {ReplicationLate, "replication late"},
	"Replication:OperationReplicatedAfterThreshold": {ReplicatedLate, "replicated late"},
	"Replication:OperationNotTracked":               {ReplicationUntrack, "replication untracked"},
	"ObjectTagging:Put":                             {TagsChanged, "tagged"},
	"ObjectTagging:Delete":                          {TagsRemoved, "untagged"},
	"ObjectAcl:Put":                                 {ACLChanged, "ACL changed"},
}

// order is the order kinds appear in a digest: what people act on first.
// What cannot be undone comes first, then what can, then changes of access,
// tags and storage, and the routine kinds (uploads, copies) last.
var order = []Kind{
	DeletedPermanently, ExpiredPermanently, Lost, ReplicationFailed,
	DeletedRecoverable, ExpiredRecoverable, Replaced, ACLChanged,
	TagsChanged, TagsRemoved, Restored, RestoreStarted, RestoreExpired,
	Transitioned, Tiered, ReplicationLate, ReplicatedLate, ReplicationUntrack,
	Uploaded, Copied,
}

var rank = func() map[Kind]int {
	m := make(map[Kind]int, len(order))
	for i, k := range order {
		m[k] = i
	}
	return m
}()

// shortOf holds the subject word of enrichment-only kinds too.
var shortOf = func() map[Kind]string {
	m := map[Kind]string{Replaced: "replaced"}
	for _, info := range byEvent {
		if _, ok := m[info.kind]; !ok {
			m[info.kind] = info.short
		}
	}
	return m
}()

// NormalizeEventName strips the "s3:" prefix that MinIO and older Ceph put
// on event names, so that all stores share AWS's names.
func NormalizeEventName(name string) string {
	return strings.TrimPrefix(name, "s3:")
}

// KindOf returns the kind of a normalised event name. An unknown name gets
// a kind of its own that carries the raw name, so it is never dropped.
func KindOf(eventName string) Kind {
	if info, ok := byEvent[eventName]; ok {
		return info.kind
	}
	// Some stores and samples qualify these two further, as in
	// "IntelligentTiering:TransitionAccess"; the family says enough.
	family, _, _ := strings.Cut(eventName, ":")
	if family == "IntelligentTiering" || family == "LifecycleTransition" {
		return byEvent[family].kind
	}
	// A name past 80 characters is no S3 event name; keep the kind short.
	if r := []rune(eventName); len(r) > 80 {
		eventName = string(r[:77]) + "..."
	}
	return Kind(unknownPrefix + eventName)
}

// Known reports whether k is one of the kinds bucketbell has words for.
func (k Kind) Known() bool {
	_, ok := rank[k]
	return ok
}

// Short is the word a subject line counts k with, as in "3 uploaded".
func (k Kind) Short() string {
	if s, ok := shortOf[k]; ok {
		return s
	}
	return "unrecognised"
}

// Before orders kinds for display: known kinds in a fixed order, unknown
// ones after them by name.
func (k Kind) Before(other Kind) bool {
	ri, iKnown := rank[k]
	rj, jKnown := rank[other]
	switch {
	case iKnown && jKnown:
		return ri < rj
	case iKnown != jKnown:
		return iKnown
	default:
		return k < other
	}
}

// EventNames lists every event name with its own wording, for tests and
// documentation.
func EventNames() []string {
	names := make([]string, 0, len(byEvent))
	for name := range byEvent {
		names = append(names, name)
	}
	return names
}
