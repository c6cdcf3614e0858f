package local

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Demo runs the stack for a person until ctx ends (Ctrl-C): it prints how
// to act as the agency with the AWS CLI and how to read the change history
// as the administrator, then each e-mail as SNS would deliver it to the
// administrator. Then it stops everything and removes
// its files. o.Dir and o.Seed are set by Demo.
func Demo(ctx context.Context, o Options, out io.Writer) (err error) {
	dir, err := os.MkdirTemp("", "bucketbell-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() {
		if err != nil {
			fmt.Fprintf(out, "The stand-ins' logs are kept in %s\n", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	agencyDir := filepath.Join(dir, "agency")
	if err := os.Mkdir(agencyDir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for name, size := range map[string][2]int{"new-image.jpg": {800, 600}, "another-image.jpg": {1200, 900}} {
		if err := os.WriteFile(filepath.Join(agencyDir, name), sampleJPEG(size[0], size[1]), 0o644); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	logFile, err := os.Create(filepath.Join(dir, "harness.log"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer logFile.Close()
	o.Dir = dir
	o.Seed = map[string][]byte{"old-image.jpg": sampleJPEG(640, 480)}
	o.Log = slog.New(slog.NewTextHandler(logFile, nil))

	fmt.Fprintln(out, "Starting MinIO, goaws and the notifier under the Lambda Runtime Interface Emulator ...")
	stack, err := Start(ctx, o)
	if err != nil {
		return err
	}
	defer stack.Close()

	var mu sync.Mutex // one e-mail at a time on the terminal
	stack.SNS.OnPublish(func(p Publish) {
		mu.Lock()
		defer mu.Unlock()
		if !p.OK() {
			fmt.Fprintf(out, "\n(SNS refused a publish: %d %s; the queue will deliver the changes again)\n", p.Status, p.Err)
			return
		}
		rule := strings.Repeat("=", 72)
		fmt.Fprintf(out, "\n%s\nE-mail to the administrator, %s\nSubject: %s\n\n%s\n%s\n",
			rule, p.Time.UTC().Format("15:04:05 UTC"), p.Subject, p.Email(), rule)
	})

	p := stack.Plan
	aws := "/usr/bin/aws --endpoint-url " + stack.S3Endpoint
	historyRow, historyDenied := "", ""
	if h := stack.HistoryBucket; h != "" {
		historyRow = "  history   bucket " + h + " keeps every change before its e-mail goes out (make history, below)\n"
		historyDenied = "  " + aws + " s3 ls s3://" + h + "/        # the change history is the administrator's\n"
	}
	b := stack.Bucket
	fmt.Fprintf(out, `
bucketbell runs on this machine, talking over 127.0.0.1 only (goaws, whose
listen address is fixed, also answers on other interfaces while this runs):
  S3        MinIO at %[1]s: bucket %[2]s (versioned, with old-image.jpg in it)
            and %[3]s, which the agency may not touch
%[17]s  queue     batches of up to %[4]d events, a %[5]v window, maxReceiveCount %[6]d (from the template)
  notifier  the real bootstrap under the Lambda Runtime Interface Emulator
  SNS       goaws, topic %[7]s; the e-mails appear below
  rights    %[8]s's S3 statements from the template: %[9]s

Act as the agency: paste these lines into another terminal.

  cd %[10]s
  unset AWS_PROFILE AWS_SESSION_TOKEN
  export AWS_ACCESS_KEY_ID=%[8]s
  export AWS_SECRET_ACCESS_KEY=%[11]s
  export AWS_DEFAULT_REGION=%[12]s

  %[13]s s3 cp ./new-image.jpg s3://%[2]s/
  %[13]s s3 cp ./new-image.jpg s3://%[2]s/      # again: replaced
  %[13]s s3 ls s3://%[2]s/
  %[13]s s3 rm s3://%[2]s/old-image.jpg        # recoverable: the e-mail says how to undo it
  %[13]s s3 cp . s3://%[2]s/catalogue/ --recursive

What the agency may not do (AccessDenied):

  %[13]s s3 ls s3://%[3]s/
  %[13]s s3api put-bucket-versioning --bucket %[2]s --versioning-configuration Status=Suspended
%[15]s%[16]s
The secrets are local demo values: they open nothing but this MinIO. Logs: %[14]s
Waiting for changes; Ctrl-C stops everything.
`, stack.S3Endpoint, b, stack.OtherBucket, p.BatchSize, p.Window, p.MaxReceiveCount, p.TopicName,
		p.AgencyUser, strings.Join(p.AgencyPolicy.Sids(), ", "), agencyDir, AgencySecret, Region, aws, dir,
		historyDenied, historyLines(stack), historyRow)

	<-ctx.Done()
	fmt.Fprintln(out, "\nStopping MinIO, goaws and the emulator ...")
	stack.Close()
	if s := stack.Queue.Stats(); s.Waiting > 0 {
		fmt.Fprintf(out, "%d change(s) were still waiting in the queue and were not sent.\n", s.Waiting)
	}
	fmt.Fprintln(out, "Stopped.")
	return nil
}

// historyLines tells the person how to read the change history as the
// administrator: make history from this repository, with MinIO's
// administrator credentials (local values) and endpoint.
func historyLines(stack *Stack) string {
	if stack.HistoryBucket == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nRead the change history as the administrator, in a third terminal, once an e-mail has arrived:\n\n")
	fmt.Fprintf(&b, "  cd %s\n  unset AWS_PROFILE AWS_SESSION_TOKEN\n", shellWord(repository()))
	for _, kv := range stack.HistoryEnv() {
		fmt.Fprintf(&b, "  export %s\n", kv)
	}
	src := stack.HistorySource()
	fmt.Fprintf(&b, "  make history SOURCE=%s\n", src)
	fmt.Fprintf(&b, "  make history SOURCE=%s KEY=new-image.jpg FORMAT=jsonl\n", src)
	return b.String()
}

// repository is the bucketbell checkout make demo runs from: the working
// directory, or the nearest folder above it that holds the Makefile and
// go.mod.
func repository() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		_, errMake := os.Stat(filepath.Join(dir, "Makefile"))
		_, errMod := os.Stat(filepath.Join(dir, "go.mod"))
		if errMake == nil && errMod == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sampleJPEG returns a w x h JPEG for the person to upload.
func sampleJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255})
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, nil) // writing to memory cannot fail
	return b.Bytes()
}
