package toolchain_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The scripts are run with PATH set to a folder of this test's own: the
// few system tools they use, linked in, and fake go, node, npm, id and
// apt-get that answer as the case needs. So a machine lacking node, or
// with an old Go, is a folder without node, or a go that says 1.25.

// systemTools are what the scripts call besides the faked commands.
var systemTools = []string{"bash", "awk", "sort", "head", "tail", "grep", "cat", "dirname", "basename",
	"mkdir", "mktemp", "mv", "rm", "sleep", "chmod", "flock", "env", "touch", "wc"}

// fakes writes the named fake commands (name: bash body) and links the
// system tools into a new folder, and returns it.
func fakes(t *testing.T, cmds map[string]string) string {
	t.Helper()
	bin := t.TempDir()
	for _, tool := range systemTools {
		if _, faked := cmds[tool]; faked {
			continue // a link would be written through, onto the real tool
		}
		path, err := exec.LookPath(tool)
		if err != nil {
			if tool == "flock" {
				continue // optional: the script goes on without it
			}
			t.Skipf("%s not installed", tool)
		}
		if err := os.Symlink(path, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range cmds {
		script := "#!/usr/bin/env bash\n" + body + "\n"
		// O_EXCL: never through an existing file or link.
		f, err := os.OpenFile(filepath.Join(bin, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteString(script)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// run runs a .ci script with PATH=bin and env, and returns its stderr and
// stdout together and whether it exited 0.
func run(t *testing.T, bin string, env []string, script string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "bash"), append([]string{filepath.Join(".ci", script)}, args...)...)
	cmd.Env = append([]string{"PATH=" + bin, "HOME=" + t.TempDir(), "BUCKETBELL_GOAL=e2e"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("%s: %v", script, err)
		}
	}
	return string(out), err == nil
}

// goVersion is a fake go that reports version local when GOTOOLCHAIN is
// local, and version selected (as if downloaded) otherwise; it records
// each call's GOTOOLCHAIN in calls.
func goVersion(local, selected, calls string) string {
	return fmt.Sprintf(`echo "GOTOOLCHAIN=${GOTOOLCHAIN-unset} $*" >> %q
case "$1" in
version) if [ "${GOTOOLCHAIN-}" = local ]; then echo "go version %s linux/amd64"; else echo "go version %s linux/amd64"; fi ;;
*) exit 2 ;;
esac`, calls, local, selected)
}

func TestPrereqsGo(t *testing.T) {
	need := goModVersion(t)
	tests := []struct {
		name string
		// local is what the installed go reports; "" means no go at all.
		local string
		env   []string
		ok    bool
		want  []string
	}{
		{name: "new enough", local: "go1.26.8", ok: true},
		{name: "a later major", local: "go1.31.0", ok: true},
		{name: "missing", want: []string{"make e2e: Go " + need + " or later is needed and no go is on PATH", "https://go.dev/dl/"}},
		{name: "older", local: "go1.25.3", want: []string{"make e2e: Go " + need + " or later is needed (go.mod), found go1.25.3", "https://go.dev/dl/"}},
		{name: "a release candidate of the version needed", local: "go" + strings.TrimSuffix(need, ".0") + "rc1", want: []string{"found go" + strings.TrimSuffix(need, ".0") + "rc1"}},
		// The default GOTOOLCHAIN=auto would download the needed Go: the
		// check asks the installed one, and says it is too old.
		{name: "older, GOTOOLCHAIN not set", local: "go1.24.0", env: []string{"GOTOOLCHAIN="}, want: []string{"found go1.24.0"}},
		// Who sets GOTOOLCHAIN has chosen the download.
		{name: "older, GOTOOLCHAIN=auto set by the user", local: "go1.24.0", env: []string{"GOTOOLCHAIN=auto"}, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := filepath.Join(t.TempDir(), "calls")
			cmds := map[string]string{}
			if tt.local != "" {
				cmds["go"] = goVersion(tt.local, "go"+need, calls)
			}
			out, ok := run(t, fakes(t, cmds), tt.env, "prereqs", "go")
			checkOutcome(t, out, ok, tt.ok, tt.want)
			if tt.local != "" && !strings.Contains(strings.Join(tt.env, " "), "GOTOOLCHAIN=auto") {
				b, _ := os.ReadFile(calls)
				if !strings.HasPrefix(string(b), "GOTOOLCHAIN=local version") {
					t.Errorf("the check ran go as %q, want GOTOOLCHAIN=local go version", b)
				}
			}
		})
	}
}

func TestPrereqsNode(t *testing.T) {
	node := func(v string) string { return "echo " + v }
	tests := []struct {
		name string
		cmds map[string]string
		ok   bool
		want []string
	}{
		{name: "node 20 and npm", cmds: map[string]string{"node": node("v20.20.2"), "npm": node("11.19.1")}, ok: true},
		{name: "node 18 and npm", cmds: map[string]string{"node": node("v18.19.0"), "npm": node("9.2.0")}, ok: true},
		{name: "no node", cmds: map[string]string{"npm": node("11.19.1")}, want: []string{"make e2e: Node.js 18 or later is needed", "no node is on PATH", "https://nodejs.org/", "apt-get install -y nodejs npm"}},
		{name: "node 16", cmds: map[string]string{"node": node("v16.20.2"), "npm": node("8.19.4")}, want: []string{"found v16.20.2", "https://nodejs.org/"}},
		{name: "no npm", cmds: map[string]string{"node": node("v20.20.2")}, want: []string{"make e2e: npm is needed", "apt-get install -y npm"}},
		{name: "neither", cmds: map[string]string{}, want: []string{"no node is on PATH", "no npm is on PATH"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, ok := run(t, fakes(t, tt.cmds), nil, "prereqs", "node")
			checkOutcome(t, out, ok, tt.ok, tt.want)
		})
	}
}

func TestPrereqsAWSCLI(t *testing.T) {
	t.Run("present", func(t *testing.T) {
		cli := filepath.Join(t.TempDir(), "aws")
		if err := os.WriteFile(cli, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		out, ok := run(t, fakes(t, map[string]string{"id": "echo 1000"}), []string{"AWS_CLI=" + cli}, "prereqs", "aws-cli")
		checkOutcome(t, out, ok, true, nil)
	})
	t.Run("missing, not root", func(t *testing.T) {
		cli := filepath.Join(t.TempDir(), "aws")
		apt := filepath.Join(t.TempDir(), "apt")
		bin := fakes(t, map[string]string{"id": "echo 1000", "apt-get": "echo \"$*\" >> " + apt})
		out, ok := run(t, bin, []string{"AWS_CLI=" + cli}, "prereqs", "aws-cli")
		checkOutcome(t, out, ok, false, []string{"make e2e: Debian's AWS CLI is needed at " + cli, "run sudo apt-get install -y awscli"})
		if _, err := os.Stat(apt); err == nil {
			t.Error("apt-get ran without root")
		}
	})
	t.Run("missing, root: installed with apt-get", func(t *testing.T) {
		cli := filepath.Join(t.TempDir(), "aws")
		apt := filepath.Join(t.TempDir(), "apt")
		bin := fakes(t, map[string]string{"id": "echo 0", "apt-get": fmt.Sprintf(`echo "$*" >> %q
case " $* " in *" install "*) printf '#!/bin/sh\n' > %q; chmod +x %q ;; esac`, apt, cli, cli)})
		out, ok := run(t, bin, []string{"AWS_CLI=" + cli}, "prereqs", "aws-cli")
		checkOutcome(t, out, ok, true, nil)
		b, _ := os.ReadFile(apt)
		if !strings.Contains(string(b), "update") || !regexp.MustCompile(`install -y .*awscli`).Match(b) {
			t.Errorf("apt-get calls:\n%s\nwant an update, then install -y awscli", b)
		}
		if !strings.Contains(out, "installing Debian's awscli") {
			t.Errorf("no word of the install:\n%s", out)
		}
	})
	t.Run("missing, root, apt-get fails", func(t *testing.T) {
		if testing.Short() {
			t.Skip("waits between tries")
		}
		cli := filepath.Join(t.TempDir(), "aws")
		bin := fakes(t, map[string]string{"id": "echo 0", "apt-get": "echo 'E: unable to fetch' >&2; exit 100", "sleep": "true"})
		out, ok := run(t, bin, []string{"AWS_CLI=" + cli}, "prereqs", "aws-cli")
		checkOutcome(t, out, ok, false, []string{"installing Debian's awscli failed", "run apt-get install -y awscli, then make e2e again"})
		if n := strings.Count(out, "E: unable to fetch"); n != 3 {
			t.Errorf("apt-get tried %d times, want 3", n)
		}
	})
}

func TestPrereqsAdminEmail(t *testing.T) {
	bin := fakes(t, nil)
	out, ok := run(t, bin, []string{"BUCKETBELL_GOAL=deploy"}, "prereqs", "admin-email")
	checkOutcome(t, out, ok, false, []string{"make deploy: ADMIN_EMAIL is not set", "make deploy ADMIN_EMAIL=you@example.com"})
	out, ok = run(t, bin, []string{"ADMIN_EMAIL=ops@example.com"}, "prereqs", "admin-email")
	checkOutcome(t, out, ok, true, nil)
}

// TestPrereqsReportsAll: every problem is listed, not only the first.
func TestPrereqsReportsAll(t *testing.T) {
	out, ok := run(t, fakes(t, map[string]string{"id": "echo 1000"}), []string{"AWS_CLI=/nonexistent/aws"}, "prereqs", "go", "node", "aws-cli", "admin-email")
	checkOutcome(t, out, ok, false, []string{"no go is on PATH", "no node is on PATH", "no npm is on PATH", "AWS CLI is needed", "ADMIN_EMAIL is not set"})
}

// checkOutcome checks the exit status and that the output holds each of
// want; a failure must be lines of its own, no stack trace.
func checkOutcome(t *testing.T, out string, ok, wantOK bool, want []string) {
	t.Helper()
	if ok != wantOK {
		t.Errorf("succeeded: %v, want %v; output:\n%s", ok, wantOK, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output does not say %q:\n%s", w, out)
		}
	}
	if wantOK && out != "" && !strings.Contains(out, "installing") {
		t.Errorf("a passing check printed:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !wantOK && line != "" && !strings.HasPrefix(line, "make ") && !strings.HasPrefix(line, "E: ") {
			t.Errorf("output line %q does not start with the goal", line)
		}
	}
}

func goModVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	return string(m[1])
}

// fakeGo is a go whose `go install PKG@V` fails its first `fail` calls
// with message, then writes into GOBIN a file that `go version -m` (cat,
// here) reads as built from every path prefix of PKG at V, as a real
// binary names its module. Each install appends "GOFLAGS=... PKG" to
// state/installs.
func fakeGo(state string, fail int, message string) string {
	return fmt.Sprintf(`state=%q
case "$1" in
version) [ "$2" = -m ] && exec cat "$3"; echo "go version go1.26.8 linux/amd64" ;;
env) echo https://proxy.example.invalid ;;
install)
	echo "GOFLAGS=$GOFLAGS CGO_ENABLED=$CGO_ENABLED $2" >> "$state/installs"
	n=$(wc -l < "$state/installs")
	echo "go: downloading example.com/dependency v1.0.0" >&2
	if [ "$n" -le %d ]; then echo %q >&2; exit 1; fi
	pkg=${2%%@*} v=${2##*@} out="$GOBIN/${pkg##*/}" p=${2%%@*}
	: > "$out"
	while :; do printf '\tmod\t%%s\t%%s\n' "$p" "$v" >> "$out"; case $p in */*) p=${p%%/*} ;; *) break ;; esac; done
	chmod +x "$out" ;;
*) exit 2 ;;
esac`, state, fail, message)
}

func installs(t *testing.T, state string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, "installs"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

var standins = []string{"minio", "aws-lambda-rie", "goaws"}

func TestInstallStandins(t *testing.T) {
	const (
		transient = "go: github.com/minio/minio@v0.0.0: reading https://proxy.example.invalid/github.com/minio/minio/@v/v0.0.0.zip: 502 Bad Gateway"
		permanent = "cmd/server.go:12:2: undefined: frobnicate"
	)
	env := []string{"GO_RETRY_BACKOFF=0", "GOFLAGS=-mod=vendor"}
	tests := []struct {
		name     string
		fail     int
		message  string
		attempts string
		ok       bool
		calls    int // go install calls
		want     []string
		built    []string
	}{{
		name: "first try", calls: 3, ok: true, built: standins,
		want: []string{"make e2e: [1/3] building the stand-in minio", "about 4 minutes", "built minio in", "[2/3] building the stand-in aws-lambda-rie", "[3/3] building the stand-in goaws"},
	}, {
		name: "two download failures, then success", fail: 2, message: transient, calls: 5, ok: true, built: standins,
		want: []string{"502 Bad Gateway", "make e2e: building minio: a module download failed (above); trying again in 0s (attempt 2 of 4)", "attempt 3 of 4", "built minio in"},
	}, {
		name: "download failures every time", fail: 99, message: transient, attempts: "3", calls: 3,
		want: []string{"make e2e: building minio failed 3 times on module downloads (GOPROXY=https://proxy.example.invalid); check the connection to the proxy, then run make e2e again"},
	}, {
		name: "a build error is not tried again", fail: 1, message: permanent, calls: 1,
		want: []string{"undefined: frobnicate", "make e2e: building minio failed, and not on a download", "run make e2e again"},
	}, {
		name: "a full disk", fail: 1, message: "write /tmp/go-build/x.a: no space left on device", calls: 1,
		want: []string{"the disk is full", "run make e2e again"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, dest := t.TempDir(), t.TempDir()
			e := env
			if tt.attempts != "" {
				e = append(e, "GO_RETRY_ATTEMPTS="+tt.attempts)
			}
			out, ok := run(t, fakes(t, map[string]string{"go": fakeGo(state, tt.fail, tt.message)}), e, "install-standins", dest)
			if ok != tt.ok {
				t.Errorf("succeeded: %v, want %v; output:\n%s", ok, tt.ok, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q:\n%s", w, out)
				}
			}
			calls := installs(t, state)
			if len(calls) != tt.calls {
				t.Errorf("%d go install calls, want %d: %q", len(calls), tt.calls, calls)
			}
			for _, c := range calls {
				if !strings.HasPrefix(c, "GOFLAGS= CGO_ENABLED=0 ") {
					t.Errorf("go install ran as %q, want GOFLAGS cleared and CGO_ENABLED=0", c)
				}
			}
			if !tt.ok {
				last := out[strings.LastIndex(strings.TrimRight(out, "\n"), "\n")+1:]
				if !strings.HasPrefix(last, "make e2e: building minio failed") {
					t.Errorf("the last line %q does not say which stand-in failed", last)
				}
			}
			entries, _ := os.ReadDir(dest)
			var names []string
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".build.") {
					t.Errorf("left its build folder %s behind", e.Name())
				}
				if !strings.HasPrefix(e.Name(), ".") {
					names = append(names, e.Name())
				}
			}
			if strings.Join(names, " ") != strings.Join(sortedCopy(tt.built), " ") {
				t.Errorf("%s holds %v, want %v", dest, names, tt.built)
			}
		})
	}
}

// TestInstallStandinsKeepsAndReplaces: a second run builds nothing; a
// binary cut short by an interrupted copy, or of another version, is
// built again.
func TestInstallStandinsKeepsAndReplaces(t *testing.T) {
	state, dest := t.TempDir(), t.TempDir()
	bin := fakes(t, map[string]string{"go": fakeGo(state, 0, "")})
	if out, ok := run(t, bin, nil, "install-standins", dest); !ok {
		t.Fatalf("first run failed:\n%s", out)
	}
	out, ok := run(t, bin, nil, "install-standins", dest)
	if !ok || out != "" || len(installs(t, state)) != 3 {
		t.Fatalf("second run: ok %v, %d installs in all, output %q; want no output and no build", ok, len(installs(t, state)), out)
	}
	if err := os.WriteFile(filepath.Join(dest, "minio"), []byte("\x7fELF cut short"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "goaws"), []byte("\tmod\tgithub.com/Admiral-Piett/goaws\tv0.4.4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, ok = run(t, bin, nil, "install-standins", dest)
	calls := installs(t, state)
	if !ok || len(calls) != 5 || !strings.Contains(calls[3], "minio@") || !strings.Contains(calls[4], "goaws/app/cmd@v0.4.5") {
		t.Errorf("third run: ok %v, installs %q; want minio and goaws built again\n%s", ok, calls, out)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// TestGoRetry: the project's own modules (make test, make e2e) are
// downloaded through go-retry too; a download error is tried again, and a
// failure's last line says what failed and what to run next.
func TestGoRetry(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fail  int
		ok    bool
		calls int
		last  string
	}{
		{"first try", 0, true, 1, ""},
		{"after a reset connection", 1, true, 2, ""},
		{"never", 99, false, 2, "make test: downloading the Go modules failed 2 times on module downloads"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := filepath.Join(t.TempDir(), "calls")
			bin := fakes(t, map[string]string{"go": fmt.Sprintf(`case "$1" in
env) echo https://proxy.example.invalid ;;
mod) echo "$*" >> %q; [ "$(wc -l < %q)" -gt %d ] && exit 0
   echo "go: github.com/aws/aws-cdk-go/awscdk/v2@v2.276.0: read tcp 10.0.0.2:51234->10.0.0.1:443: read: connection reset by peer" >&2; exit 1 ;;
esac`, calls, calls, tt.fail)})
			out, ok := run(t, bin, []string{"BUCKETBELL_GOAL=test", "GO_RETRY_BACKOFF=0", "GO_RETRY_ATTEMPTS=2"}, "go-retry", "downloading the Go modules", "go", "mod", "download")
			if ok != tt.ok {
				t.Errorf("succeeded: %v, want %v\n%s", ok, tt.ok, out)
			}
			b, _ := os.ReadFile(calls)
			if n := strings.Count(string(b), "mod download\n"); n != tt.calls {
				t.Errorf("%d go mod download calls, want %d", n, tt.calls)
			}
			if tt.ok && out != "" && tt.fail == 0 {
				t.Errorf("a first-time success printed %q", out)
			}
			if tt.last != "" && !strings.HasPrefix(out[strings.LastIndex(strings.TrimRight(out, "\n"), "\n")+1:], tt.last) {
				t.Errorf("last line does not start with %q:\n%s", tt.last, out)
			}
		})
	}
}

// TestInstallStandinsOneAtATime: two installs into the same folder at once
// (make e2e and make demo started together) build each stand-in once.
func TestInstallStandinsOneAtATime(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("no flock")
	}
	state, dest := t.TempDir(), t.TempDir()
	// A go install that takes a while, so that the runs overlap.
	slow := strings.Replace(fakeGo(state, 0, ""), "install)\n", "install)\n\tsleep 0.5\n", 1)
	bin := fakes(t, map[string]string{"go": slow})
	done := make(chan string, 2)
	for range 2 {
		go func() {
			out, ok := run(t, bin, nil, "install-standins", dest)
			if !ok {
				out = "FAILED\n" + out
			}
			done <- out
		}()
	}
	out := <-done + <-done
	if strings.Contains(out, "FAILED") {
		t.Fatalf("a run failed:\n%s", out)
	}
	if calls := installs(t, state); len(calls) != 3 {
		t.Errorf("%d go install calls, want 3 (each stand-in once): %q\n%s", len(calls), calls, out)
	}
	if !strings.Contains(out, "another install into "+dest+" is running; waiting for it") {
		t.Errorf("the second run did not say it waits:\n%s", out)
	}
}

// TestGoRetryProgress: a long command is reported on, with the modules it
// downloaded, and "compiling" once no more come.
func TestGoRetryProgress(t *testing.T) {
	bin := fakes(t, map[string]string{"go": `echo "go: downloading example.com/a v1.0.0" >&2
echo "go: downloading example.com/b v1.0.0" >&2
sleep 4`})
	out, ok := run(t, bin, []string{"GO_RETRY_PROGRESS=1"}, "go-retry", "building minio", "go", "install", "example.com/minio@v1")
	if !ok {
		t.Fatalf("failed:\n%s", out)
	}
	for _, w := range []string{`(?m)^make e2e: building minio: 0m0\ds so far, 2 modules downloaded$`, `(?m)^make e2e: building minio: 0m0\ds so far, 2 modules downloaded, compiling$`} {
		if !regexp.MustCompile(w).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", w, out)
		}
	}
	if strings.Contains(out, "go: downloading") {
		t.Errorf("the list of downloads was printed:\n%s", out)
	}
}
