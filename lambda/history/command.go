package history

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bucketbell/bucketbell/lambda/digest"
)

// S3Client lists and reads the history bucket; *s3.Client satisfies it.
type S3Client interface {
	ObjectLister
	ObjectGetter
}

// Command is make history: it reads the records of a SOURCE, filters them
// and prints them. Its fields are what the program is given; Run takes
// the command line.
type Command struct {
	Stdout, Stderr io.Writer
	// Now anchors durations such as SINCE=7d.
	Now time.Time
	// OpenS3 builds the S3 client, only when SOURCE is an s3:// URI.
	OpenS3 func(ctx context.Context) (S3Client, error)
}

// Exit statuses of Run.
const (
	ExitOK    = 0
	ExitError = 1 // reading failed
	ExitUsage = 2 // the command line is wrong
)

// Run parses args (-source, -since, -until, -actor, -key, -prefix, -kind,
// -format, -workers), reads and prints. Errors are one line on Stderr,
// then the counts of what was read.
func (c *Command) Run(ctx context.Context, args []string) int {
	q, err := c.parse(args)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(c.Stderr, "history: %v\n", err)
		}
		return ExitUsage
	}
	src, root, err := c.open(ctx, q.source)
	if err != nil {
		fmt.Fprintf(c.Stderr, "history: %v\n", err)
		return ExitUsage
	}
	// JSON lines go out day by day, as they are read; the table waits for
	// every row, to align its columns.
	var emit Emit
	var out *bufio.Writer
	if q.format == FormatJSONL {
		out = bufio.NewWriterSize(c.Stdout, 64<<10)
		problems := q.filter.Kind == KindProblem
		emit = func(changes, probs []*Item) error {
			if problems {
				return WriteJSONL(out, probs, true)
			}
			return WriteJSONL(out, changes, false)
		}
	}
	res, err := Read(ctx, src, root, q.filter, q.workers, emit)
	if err == nil && out != nil {
		err = out.Flush()
	}
	if err == nil && q.format == FormatText {
		err = WriteText(c.Stdout, res.Changes, res.Problems)
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, strings.ReplaceAll(err.Error(), "\n", " "))
		return ExitError
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(c.Stderr, "history: skipped %s: %s\n", s.Name, s.Reason)
	}
	fmt.Fprintln(c.Stderr, Summary(res, src.Name(root)))
	return ExitOK
}

// Summary is the line that says how much was read and shown.
func Summary(res *Result, from string) string {
	s := fmt.Sprintf("history: read %s from %s: %s, %s",
		plural(res.Records, "record"), from, plural(res.ChangeLines, "change"), plural(res.ProblemLines, "problem"))
	if len(res.Skipped) > 0 {
		s += fmt.Sprintf("; skipped %s", plural(len(res.Skipped), "object"))
	}
	s += fmt.Sprintf("; showing %s and %s", plural(res.ChangesShown, "change"), plural(res.ProblemsShown, "problem"))
	if res.Duplicates > 0 {
		s += fmt.Sprintf(" (%s dropped)", plural(res.Duplicates, "duplicate"))
	}
	return s
}

func plural(n int, word string) string {
	if n != 1 {
		word += "s"
	}
	return digest.Count(n) + " " + word
}

// query is a parsed command line.
type query struct {
	source  string
	filter  Filter
	format  string
	workers int
}

func (c *Command) parse(args []string) (query, error) {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	var q query
	var since, until, kind string
	fs.StringVar(&q.source, "source", "", "s3://<history bucket>/changes/ or a directory of records")
	fs.StringVar(&since, "since", "", "changes at or after: RFC 3339, a date, or a duration back from now (7d, 12h)")
	fs.StringVar(&until, "until", "", "changes before: RFC 3339, a date, or a duration back from now")
	fs.StringVar(&q.filter.Actor, "actor", "", "exact actor name or principal id")
	fs.StringVar(&q.filter.Key, "key", "", "exact object key: its whole timeline")
	fs.StringVar(&q.filter.Prefix, "prefix", "", "keys that start with this")
	fs.StringVar(&kind, "kind", "", `a kind ("deleted, recoverable" or "deleted"), "unrecognised" or "problem"`)
	fs.StringVar(&q.format, "format", FormatText, "text or jsonl")
	fs.IntVar(&q.workers, "workers", DefaultWorkers, "listings and objects read at a time")
	if err := fs.Parse(args); err != nil {
		return q, err
	}
	if fs.NArg() > 0 {
		return q, fmt.Errorf("unexpected argument %q: every value goes in a flag", fs.Arg(0))
	}
	if q.format == "" {
		q.format = FormatText
	}
	if q.format != FormatText && q.format != FormatJSONL {
		return q, fmt.Errorf("unknown FORMAT %q (want text or jsonl)", q.format)
	}
	if kind != "" {
		k, err := ParseKind(kind)
		if err != nil {
			return q, err
		}
		q.filter.Kind = k
	}
	var err error
	if since != "" {
		if q.filter.Since, err = ParseTime(since, c.Now); err != nil {
			return q, fmt.Errorf("SINCE %v", err)
		}
	}
	if until != "" {
		if q.filter.Until, err = ParseTime(until, c.Now); err != nil {
			return q, fmt.Errorf("UNTIL %v", err)
		}
	}
	if !q.filter.Since.IsZero() && !q.filter.Until.IsZero() && !q.filter.Since.Before(q.filter.Until) {
		return q, fmt.Errorf("UNTIL (%s) is not after SINCE (%s)", q.filter.Until.Format(time.RFC3339), q.filter.Since.Format(time.RFC3339))
	}
	if q.workers < 1 {
		return q, fmt.Errorf("-workers %d: want at least 1", q.workers)
	}
	if q.source == "" {
		return q, errors.New("no SOURCE: give SOURCE=s3://<history bucket>/changes/ or SOURCE=<directory of records>")
	}
	return q, nil
}

// open makes the Source of a SOURCE value, and the prefix of its records.
// An s3:// URI names a bucket and a prefix (changes/ when it names only the
// bucket). A directory is read as it is, or its changes/ folder when it
// has one, as a copy of the whole bucket or an ARCHIVE of make replay has.
func (c *Command) open(ctx context.Context, source string) (Source, string, error) {
	if rest, ok := strings.CutPrefix(source, "s3://"); ok {
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, "", fmt.Errorf("SOURCE %q names no bucket: give s3://<history bucket>/changes/", source)
		}
		if prefix == "" {
			prefix = Prefix
		}
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		client, err := c.OpenS3(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("S3 client: %v", err)
		}
		return &S3{Bucket: bucket, Lister: client, Getter: client}, prefix, nil
	}
	st, err := os.Stat(source)
	if err != nil {
		return nil, "", fmt.Errorf("SOURCE %s: %v", source, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return nil, "", fmt.Errorf("SOURCE %s is not a directory (or an s3:// URI)", source)
	}
	if st, err := os.Stat(filepath.Join(source, strings.TrimSuffix(Prefix, "/"))); err == nil && st.IsDir() {
		return Dir(source), Prefix, nil
	}
	return Dir(source), "", nil
}
