package test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newClassUser is newRootlessUser with the runtime directory systemd-logind
// gives a user who logged in, /run/user/UID: where root's netlab finds the
// user's labs (as it does ~/.netlab and /tmp/netlab-UID).
func newClassUser(t *testing.T, name string, sub int) *rootlessUser {
	t.Helper()
	u := newRootlessUser(t, name, sub)
	dir := fmt.Sprintf("/run/user/%d", u.uid)
	if _, err := os.Lstat(dir); err == nil {
		t.Fatalf("%s is there already: not a new user's", dir)
	}
	if err := os.MkdirAll("/run/user", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, u.uid, u.gid); err != nil {
		t.Fatal(err)
	}
	u.runtimeDir = dir
	return u
}

// classStatus is what netlab status --json says of each lab.
type classStatus struct {
	Name, Owner, File, State string
	Started                  time.Time
}

// classGrade is what netlab check --json says of each lab.
type classGrade struct {
	Name, Owner    string
	Passed, Failed int
	Checks         []struct {
		Name       string
		Passed     bool
		Message    string
		DurationMS float64 `json:"duration_ms"`
		Tries      int
	}
}

// classSuite is a JUnit testsuite of netlab check --junit.
type classSuite struct {
	Name     string `xml:"name,attr"`
	Failures int    `xml:"failures,attr"`
	Cases    []struct {
		Classname string `xml:"classname,attr"`
	} `xml:"testcase"`
}

// TestClass: three ordinary users each run a lab of the same name, class,
// without sudo. Root sees them all (status --all-users), grades them all
// with one command by the teacher's checks (each report naming the owner,
// a failing student's checks bounded by --wait whatever their own wait:),
// reads a student's logs and enters a node, resets one student's lab (down
// USER:LAB, up --user), and is refused what would change a student's lab
// otherwise; the students are refused each other's labs.
func TestClass(t *testing.T) {
	needCommand(t, "ping")
	// Root's own labs of this test: none, and none of other tests'.
	rootEnv := []string{"NETLAB_STATE_DIR=" + filepath.Join(t.TempDir(), "root")}
	root := func(args ...string) result {
		t.Helper()
		return netlabWith(t, nil, rootEnv, args...)
	}
	users := []*rootlessUser{
		newClassUser(t, "netlabc1", 1<<20+10<<16),
		newClassUser(t, "netlabc2", 1<<20+11<<16),
		newClassUser(t, "netlabc3", 1<<20+12<<16),
	}
	triangle, err := os.ReadFile(filepath.Join(repoRoot, "labs/triangle.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	class := strings.Replace(string(triangle), "name: triangle\n", "name: class\n", 1)
	// The teacher's checks: the triangle's, two of them with a wait of
	// their own that --wait must cap.
	exercise := class
	for _, c := range []string{"  - ping: {from: r1, to: r3}\n", "  - route: {node: r1, to: 10.255.0.3/32, via: 10.0.13.3, dev: eth2}\n"} {
		if !strings.Contains(exercise, c) {
			t.Fatalf("labs/triangle.yaml has no check %q", c)
		}
		exercise = strings.Replace(exercise, c, c+"    wait: 15s\n", 1)
	}
	exerciseFile := writeTopology(t, "exercise", exercise)
	// Each student's lab, with an exec step that says whose it is;
	// netlabc2's lacks r1's route to r3's loopback.
	mistake := "      - {to: 10.255.0.3/32, via: 10.0.13.3}\n"
	for _, u := range users {
		text := strings.Replace(class, "  r1:\n", "  r1:\n    exec: [\"echo hello from "+u.name+"\"]\n", 1)
		if u.name == "netlabc2" {
			text = strings.Replace(text, mistake, "", 1)
		}
		u.up(t, writeTopology(t, "class", text), "class")
	}

	// Every student's lab, with its owner, and none of root's.
	r := root("status", "--all-users", "--json")
	var st struct{ Labs []classStatus }
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 {
		t.Fatalf("status --all-users --json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	for _, u := range users {
		i := slices.IndexFunc(st.Labs, func(l classStatus) bool { return l.Owner == u.name })
		if i < 0 {
			t.Errorf("status --all-users lists no lab of %s: %s", u.name, r.stdout)
			continue
		}
		l := st.Labs[i]
		if l.Name != "class" || l.State != "up" || l.File != filepath.Join(u.files, "class.yaml") || time.Since(l.Started) > 5*time.Minute {
			t.Errorf("%s's lab in status --all-users: %+v", u.name, l)
		}
	}
	if r := root("status", "--all-users"); r.code != 0 || !strings.HasPrefix(r.stdout, "OWNER ") || !regexpMatch(`(?m)^netlabc2 +class +up +r1 `, r.stdout) {
		t.Errorf("status --all-users: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := root("status", "--brief", "netlabc3:class"); r.code != 0 || !regexpMatch(`^OWNER +NAME +NODES +LINKS +STATE +AGE\nnetlabc3 +class +3 +3 +up +\d+s\n$`, r.stdout) {
		t.Errorf("status --brief netlabc3:class: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Grading: one command for the class, by the teacher's checks.
	junit := filepath.Join(t.TempDir(), "grades.xml")
	start := time.Now()
	r = root("check", "--all-users", "--checks", exerciseFile, "--json", "--junit", junit, "--wait", "2s")
	took := time.Since(start)
	var graded struct{ Labs []classGrade }
	if err := json.Unmarshal([]byte(r.stdout), &graded); err != nil || r.code != 1 {
		t.Fatalf("check --all-users: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	t.Logf("graded %d labs in %v", len(graded.Labs), took)
	if took > 8*time.Second {
		t.Errorf("grading three labs took %v: the failing checks' own wait: 15s was not capped by --wait 2s, or the labs ran one after another", took)
	}
	for _, u := range users {
		i := slices.IndexFunc(graded.Labs, func(l classGrade) bool { return l.Owner == u.name })
		if i < 0 {
			t.Errorf("no grade of %s's lab:\n%s", u.name, r.stdout)
			continue
		}
		l := graded.Labs[i]
		wantFailed := 0
		if u.name == "netlabc2" {
			wantFailed = 2
		}
		if l.Name != "class" || l.Failed != wantFailed || l.Passed+l.Failed != 9 {
			t.Errorf("%s: %d passed, %d failed, want %d failed of 9", u.name, l.Passed, l.Failed, wantFailed)
		}
		for _, c := range l.Checks {
			if !c.Passed && (c.DurationMS > 3500 || c.Tries < 2) {
				t.Errorf("%s: failing check %q took %.0f ms in %d tries: not bounded by --wait 2s", u.name, c.Name, c.DurationMS, c.Tries)
			}
		}
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []classSuite `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit: %v", err)
	}
	for _, u := range users {
		i := slices.IndexFunc(doc.Suites, func(s classSuite) bool { return s.Name == u.name+"/class" })
		if i < 0 || len(doc.Suites[i].Cases) != 9 || doc.Suites[i].Cases[0].Classname != u.name+"/class" {
			t.Errorf("JUnit has no suite %s/class of 9 cases:\n%s", u.name, b)
		}
	}
	// The lines name each lab USER:LAB.
	r = root("check", "netlabc1:class", "netlabc2:class", "--checks", exerciseFile, "--wait", "1s")
	if r.code != 1 || !strings.Contains(r.stdout, "PASS  netlabc1:class: ping r1 to r2") || !strings.Contains(r.stdout, "FAIL  netlabc2:class: ping r1 to r3") {
		t.Errorf("check of two students' labs: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Reading a student's lab.
	if r := root("logs", "netlabc1:class/r1", "exec"); r.code != 0 || !strings.Contains(r.stdout, "hello from netlabc1") {
		t.Errorf("root's logs of netlabc1's r1: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if r := root("exec", "netlabc3:class/r1", "--", "id", "-u"); r.code != 0 || strings.TrimSpace(r.stdout) != "0" {
		t.Errorf("root's exec in netlabc3's r1: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if r := root("exec", "netlabc3:r2", "--", "hostname"); r.code != 0 || strings.TrimSpace(r.stdout) != "r2" {
		t.Errorf("root's exec netlabc3:r2: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}

	// Resetting netlabc2's lab: down, then up as netlabc2 from the fixed
	// file, a lab of netlabc2's own again.
	c2 := users[1]
	if r := root("down", "netlabc2:class"); r.code != 0 || r.stdout != "lab class is down\n" {
		t.Fatalf("root's down netlabc2:class: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if r := c2.run(t, nil, "status"); r.code != 1 {
		t.Errorf("netlabc2's status after root's down: exit %d, %q", r.code, r.stdout)
	}
	fixed := c2.topology(t, writeTopology(t, "class", class))
	for i := 0; i < 2; i++ { // up, then up --replace of the running lab
		if r := root("up", "--user", "netlabc2", "--replace", "-q", fixed); r.code != 0 {
			t.Fatalf("root's up --user netlabc2 --replace (%d): exit %d, %q, %q", i+1, r.code, r.stdout, r.stderr)
		}
	}
	sup := readLabState(t, c2.stateRoot(), "class").Supervisor.Pid
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", sup))
	if uid, _ := strconv.Atoi(strings.Fields(statusField(status, "Uid"))[0]); uid != c2.uid {
		t.Errorf("the reset lab's supervisor runs as uid %d, not netlabc2's %d", uid, c2.uid)
	}
	if r := root("check", "netlabc2:class", "--checks", exerciseFile, "--wait", "5s"); r.code != 0 {
		t.Errorf("netlabc2's reset lab by the teacher's checks: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// What root may not do to a student's lab, and what a student may
	// not do to another's.
	for _, tt := range []struct {
		who  *rootlessUser // nil: root
		args []string
		want string
	}{
		{nil, []string{"down", "--all-users"}, "down: other users' labs go down one by one: name each as USER:LAB"},
		{nil, []string{"link", "set", "netlabc1:class/r1:eth1", "down"}, "link set: netlabc1:class is user netlabc1's lab: root only reads other users' labs"},
		{users[0], []string{"status", "--all-users"}, "only root may reach other users' labs"},
		{users[0], []string{"exec", "netlabc2:class/r1", "--", "true"}, "only root may reach other users' labs: the labs of user netlabc2 are theirs alone"},
		{users[0], []string{"down", "netlabc2:class"}, "the labs of user netlabc2 are theirs alone"},
		{users[0], []string{"check", "netlabc2:class"}, "the labs of user netlabc2 are theirs alone"},
	} {
		var r result
		if tt.who == nil {
			r = root(tt.args...)
		} else {
			r = tt.who.run(t, nil, tt.args...)
		}
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("netlab %s: exit %d, %q; want 2 and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.want)
		}
	}
	for _, u := range users {
		if got := u.must(t, "status", "--brief"); !regexpMatch(`(?m)^class +3 +3 +up `, got) {
			t.Errorf("%s's lab after the class: %s", u.name, got)
		}
	}
}
