package digest

import (
	"sort"
	"strings"
	"time"
)

const (
	// maxRoutineListed is the most routine changes an e-mail lists one by
	// one; a digest with more rolls them up by folder and lists only
	// routineSample of them.
	maxRoutineListed = 40
	routineSample    = 5
	// maxFolderLines bounds the folders of the roll-up: past it, the
	// largest maxFolderLines-1 are shown and one line adds up the rest.
	maxFolderLines = 8
)

// folder is one line of the roll-up of routine changes.
type folder struct {
	// path is the folder as a prefix of the changes' paths, ending in "/"
	// ("" for the top level); others marks the line that adds up the
	// folders past the first few, and counts them.
	path   string
	others int
	n      int
	kinds  []count // per kind, in display order
	bytes  int64
	sized  bool
	first  time.Time
	last   time.Time
	// firstKey and lastKey are indexes into draft.changes: the first and
	// last change of the folder by key.
	firstKey, lastKey int
}

// rollUp groups the routine changes by folder, at the shallowest depth
// where they fall into more than one folder, and names each group by the
// deepest folder its keys share. So 3,000 uploads all under
// catalogue/2026/ make one line for catalogue/2026/; uploads to
// catalogue/2025/ and catalogue/2026/shoes/ make one line each, named so.
// A key directly in the folder where the paths part counts for that folder
// itself. Past maxFolderLines folders the largest stay and one line adds
// up the rest. When the digest spans buckets, paths start with
// s3://bucket/.
//
// It takes two passes over the paths: the longest common prefix of all of
// them, cut after its last "/", is the deepest folder they all share, and
// each path's next segment below it is its group; then each group's own
// common prefix names it.
func rollUp(d *draft) []folder {
	from := d.notable
	rc := d.changes[from:]
	if len(rc) == 0 {
		return nil
	}
	paths := make([]string, len(rc))
	for i := range rc {
		paths[i] = d.path(from + i)
	}
	prefix := paths[0]
	for _, p := range paths[1:] {
		prefix = commonPrefix(prefix, p)
	}
	base := prefix[:strings.LastIndexByte(prefix, '/')+1]

	at := map[string]int{}
	var fs []folder
	of := make([]int, len(rc)) // folder of each routine change
	for i, p := range paths {
		name := base
		if j := strings.IndexByte(p[len(base):], '/'); j >= 0 {
			name = p[:len(base)+j+1]
		}
		k, ok := at[name]
		if !ok {
			k = len(fs)
			at[name] = k
			fs = append(fs, folder{path: p, firstKey: from + i})
		}
		of[i] = k
		fs[k].path = commonPrefix(fs[k].path, p)
		fs[k].add(d, from+i)
	}
	for i := range fs {
		fs[i].path = fs[i].path[:strings.LastIndexByte(fs[i].path, '/')+1]
	}
	if len(fs) <= maxFolderLines {
		sort.Slice(fs, func(i, j int) bool { return fs[i].path < fs[j].path })
		return fs
	}
	// Keep the largest; add up the rest in the order of their keys.
	rank := make([]int, len(fs))
	for i := range rank {
		rank[i] = i
	}
	sort.Slice(rank, func(i, j int) bool {
		a, b := &fs[rank[i]], &fs[rank[j]]
		if a.n != b.n {
			return a.n > b.n
		}
		return a.path < b.path
	})
	keep := make([]bool, len(fs))
	var out []folder
	for _, k := range rank[:maxFolderLines-1] {
		keep[k] = true
		out = append(out, fs[k])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	rest := folder{others: len(fs) - (maxFolderLines - 1), firstKey: -1}
	for i := range rc {
		if !keep[of[i]] {
			if rest.firstKey < 0 {
				rest.firstKey = from + i
			}
			rest.add(d, from+i)
		}
	}
	return append(out, rest)
}

// routinePhrase lists counts of routine kinds as "6 uploaded, 5 copied
// in": there are only two, and their words hold no comma.
func routinePhrase(counts []count) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = Count(c.Count) + " " + label(string(c.Kind))
	}
	return strings.Join(parts, ", ")
}

// commonPrefix is the longest prefix a and b share.
func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	j := 0
	for j < n && a[j] == b[j] {
		j++
	}
	return a[:j]
}

// add counts change i in f.
func (f *folder) add(d *draft, i int) {
	c := &d.changes[i]
	f.n++
	f.lastKey = i
	if k := len(f.kinds); k > 0 && f.kinds[k-1].Kind == c.Kind {
		f.kinds[k-1].Count++
	} else {
		found := false
		for j := range f.kinds {
			if f.kinds[j].Kind == c.Kind {
				f.kinds[j].Count++
				found = true
				break
			}
		}
		if !found {
			f.kinds = append(f.kinds, count{Kind: c.Kind, Count: 1})
			sort.SliceStable(f.kinds, func(a, b int) bool { return f.kinds[a].Kind.Before(f.kinds[b].Kind) })
		}
	}
	if c.SizeKnown {
		f.bytes += c.Size
		f.sized = true
	}
	if !c.Time.IsZero() {
		if f.first.IsZero() || c.Time.Before(f.first) {
			f.first = c.Time
		}
		if c.Time.After(f.last) {
			f.last = c.Time
		}
	}
}

// path is change i's key as a path: with s3://bucket/ in front when the
// digest spans buckets.
func (d *draft) path(i int) string {
	c := &d.changes[i]
	if d.multiBucket {
		return "s3://" + c.Bucket + "/" + c.Key
	}
	return c.Key
}

// write renders f as one line, and a second naming its first and last key
// when keys is set.
func (f *folder) write(b *strings.Builder, d *draft, keys bool) {
	b.WriteString("  ")
	switch {
	case f.others > 0:
		b.WriteString("and " + Count(f.others) + " more folders")
	case f.path == "":
		b.WriteString("(top level)")
	default:
		b.WriteString(label(f.path))
	}
	b.WriteString(": " + routinePhrase(f.kinds))
	if f.sized {
		b.WriteString("; " + Size(f.bytes))
	}
	if s := span(f.first, f.last); s != "" {
		b.WriteString("; " + s)
	}
	b.WriteString("\n")
	if !keys {
		return
	}
	if f.n == 1 {
		b.WriteString("    " + clipText(d.key(f.firstKey)) + "\n")
		return
	}
	b.WriteString("    first " + clipText(d.key(f.firstKey)) + ", last " + clipText(d.key(f.lastKey)) + "\n")
}

// Folder is one line of the roll-up of routine changes in the document;
// the e-mail shows the same lines. Changes and Counts cover exactly the
// routine changes of the folder; over all folders they add up to the
// routine changes of the digest.
type Folder struct {
	// Folder is the path shared by the folder's keys, ending in "/": ""
	// is the bucket's top level, and a digest that spans buckets starts
	// it with s3://bucket/. "(others)" adds up the folders past the
	// first few, and the whole roll-up when SNS's limit leaves room for
	// no more.
	Folder  string      `json:"folder"`
	Changes int         `json:"changes"`
	Counts  []kindCount `json:"counts"`
	// Bytes adds up the sizes the events carry.
	Bytes          int64  `json:"bytes"`
	FirstEventTime string `json:"firstEventTime,omitempty"`
	LastEventTime  string `json:"lastEventTime,omitempty"`
	// FirstKey and LastKey are the first and last key by key order (with
	// s3://bucket/ in front when the digest spans buckets), clipped to 200
	// characters; absent when SNS's limit left no room for them.
	FirstKey string `json:"firstKey,omitempty"`
	LastKey  string `json:"lastKey,omitempty"`
}

// kindCount is a number of changes of one kind.
type kindCount struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// docFolders returns the roll-up for the document at a level of detail.
func (d *draft) docFolders(level int) []Folder {
	if d.fdoc[level] == nil {
		d.fdoc[level] = d.newDocFolders(level)
	}
	return d.fdoc[level]
}

func (d *draft) newDocFolders(level int) []Folder {
	fs := d.folders
	if level == levelCounts && len(fs) > 0 {
		// One line adds up everything.
		all := folder{others: 1, firstKey: d.notable}
		for i := d.notable; i < len(d.changes); i++ {
			all.add(d, i)
		}
		fs = []folder{all}
	}
	out := make([]Folder, 0, len(fs))
	for _, f := range fs {
		e := Folder{Folder: clipRunes(f.path, maxDocName), Changes: f.n, Counts: make([]kindCount, len(f.kinds)), Bytes: f.bytes}
		if f.others > 0 {
			e.Folder = others
		}
		for i, k := range f.kinds {
			e.Counts[i] = kindCount{Kind: clipRunes(string(k.Kind), maxDocName), Count: k.Count}
		}
		if !f.first.IsZero() {
			e.FirstEventTime = f.first.UTC().Format(time.RFC3339Nano)
			e.LastEventTime = f.last.UTC().Format(time.RFC3339Nano)
		}
		if level < levelBare {
			e.FirstKey = clipRunes(d.path(f.firstKey), maxDocName)
			e.LastKey = clipRunes(d.path(f.lastKey), maxDocName)
		}
		out = append(out, e)
	}
	return out
}

// foldersJSON is the document's roll-up at a level, as JSON, to predict
// its size.
func (d *draft) foldersJSON(level int) []byte {
	if d.fjson[level] == nil {
		d.fjson[level] = marshal(d.docFolders(level))
	}
	return d.fjson[level]
}
