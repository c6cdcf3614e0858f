package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a stand-in running as a child in its own process group, so
// that stopping it also stops whatever it started (RIE starts bootstrap)
// and a Ctrl-C in the terminal reaches the harness, which stops it, rather
// than killing it half-way.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string // path of the file that holds its stdout and stderr
	done chan struct{}
	err  error // valid once done is closed
	// stopping makes stop run once: its process group id must not be
	// signalled again once the group is gone and the id free for reuse.
	stopping sync.Once
}

// live holds every process started and not yet stopped, so that a signal
// handler can stop them all.
var live struct {
	sync.Mutex
	procs map[*process]bool
}

// start runs bin with args and env (added to a minimal environment) in a
// new process group, logging to dir/name.log.
func start(dir, name, bin string, args, env []string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	// A minimal environment: nothing from the caller's AWS settings or
	// proxies may leak into a stand-in.
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + dir, "TMPDIR=" + dir}, env...)
	cmd.Stdout, cmd.Stderr = f, f
	// Setpgid: one kill reaches the whole group. Pdeathsig: if the harness
	// dies without cleaning up (SIGKILL), the kernel stops the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	live.Lock()
	if live.procs == nil {
		live.procs = map[*process]bool{}
	}
	live.procs[p] = true
	live.Unlock()
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended on its own.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process group: SIGTERM, then SIGKILL after grace. It is
// safe to call more than once.
func (p *process) stop(grace time.Duration) {
	p.stopping.Do(func() { p.stopOnce(grace) })
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

func (p *process) stopOnce(grace time.Duration) {
	live.Lock()
	delete(live.procs, p)
	live.Unlock()
	pgid := p.cmd.Process.Pid
	// Children that moved to process groups of their own (RIE runs
	// bootstrap so) are not reached by the group kill: find them first.
	kids := descendants(pgid)
	if !p.exited() {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	// Members of the group may outlive its leader: kill it whole in any
	// case. ESRCH (nothing left) is the normal outcome.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for _, k := range kids {
		// Only the same process: its id may have been reused since.
		if start, _, ok := procStat(k.pid); ok && start == k.start {
			_ = syscall.Kill(k.pid, syscall.SIGKILL)
		}
	}
}

// procID names a process for as long as it lives: a process id can be
// reused, its start time with it cannot.
type procID struct {
	pid   int
	start string
}

// descendants returns every process below pid, read from /proc (Linux
// only, like the stand-ins).
func descendants(pid int) []procID {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]procID{}
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		start, ppid, ok := procStat(id)
		if ok {
			children[ppid] = append(children[ppid], procID{id, start})
		}
	}
	var out []procID
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
	}
	return out
}

// procStat reads a process's start time and parent from /proc/PID/stat.
func procStat(pid int) (start string, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, false
	}
	// The command, in parentheses, may hold spaces: fields are counted
	// after it, from field 3 (state): ppid is field 4, starttime 22.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 20 {
		return "", 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[19], ppid, err == nil
}

// tail returns the last n lines of the process's log.
func (p *process) tail(n int) string {
	return tailFile(p.log, n)
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// StopAllOnSignal stops every stand-in still running when the process gets
// SIGINT, SIGTERM or SIGHUP, runs then (if not nil), and exits with status
// 130. Without it, a Ctrl-C would end the harness and leave the stand-ins,
// which run in their own process groups, behind. The returned function
// removes the handler.
func StopAllOnSignal(then func()) (cancel func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	quit := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			fmt.Fprintf(os.Stderr, "\nlocal: %v: stopping the stand-ins\n", sig)
			StopAll()
			if then != nil {
				then()
			}
			os.Exit(130)
		case <-quit:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(quit)
		})
	}
}

// StopAll stops every stand-in process still running.
func StopAll() {
	live.Lock()
	procs := make([]*process, 0, len(live.procs))
	for p := range live.procs {
		procs = append(procs, p)
	}
	live.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop(3 * time.Second) }()
	}
	wg.Wait()
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another
// program could take it before the stand-in binds it; the stand-in then
// fails to start and says so in its log.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// readyTimeout bounds the wait for a stand-in to answer. Long, because it
// costs nothing when all goes well (the wait ends as soon as the stand-in
// answers, and at once if it exits) and a first run is slow: MinIO creates
// its data folder and IAM state at its first start, on 2 cores that the
// compilers of the same first run, or other jobs, keep busy.
const readyTimeout = 3 * time.Minute

// errPortTaken says a stand-in exited because another program bound its
// port between freePort and the stand-in's own bind: a start with other
// ports goes on.
var errPortTaken = errors.New("port taken")

// portTakenLines are what the stand-ins log then: Go's net package (goaws,
// RIE) and MinIO's own message.
var portTakenLines = []string{"address already in use", "port is already in use"}

// retryPorts calls start, which picks its ports with freePort, up to three
// times while its error is errPortTaken.
func retryPorts[T any](start func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := start()
		if err == nil || !errors.Is(err, errPortTaken) || attempt == 3 {
			return v, err
		}
	}
}

// waitHTTP polls url until it answers with a status below 500, the process
// exits, or timeout passes. A process that exits because its port was
// taken returns an error that wraps errPortTaken.
func waitHTTP(ctx context.Context, p *process, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		if p != nil && p.exited() {
			tail := p.tail(30)
			err := fmt.Errorf("%s exited before it was ready (%v); log:\n%s", p.name, p.err, tail)
			for _, l := range portTakenLines {
				if strings.Contains(tail, l) {
					return fmt.Errorf("%w: %w", errPortTaken, err)
				}
			}
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s after %v: %v", nameOf(p), url, timeout, errors.Join(last, ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func nameOf(p *process) string {
	if p == nil {
		return "server"
	}
	return p.name
}
