package netlab

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestOverlaps(t *testing.T) {
	tests := []struct {
		a, b IDRange
		want bool
	}{
		{IDRange{100, 10}, IDRange{100, 10}, true},
		{IDRange{100, 10}, IDRange{105, 10}, true},
		{IDRange{100, 10}, IDRange{95, 10}, true},
		{IDRange{100, 10}, IDRange{102, 2}, true},
		{IDRange{100, 10}, IDRange{0, 1000}, true},
		{IDRange{100, 10}, IDRange{110, 10}, false}, // adjacent above
		{IDRange{100, 10}, IDRange{90, 10}, false},  // adjacent below
		{IDRange{100, 10}, IDRange{200, 10}, false},
		{IDRange{100, 10}, IDRange{109, 1}, true},
		{IDRange{100, 10}, IDRange{99, 1}, false},
		// Sums past 2^32 must not wrap around.
		{IDRange{0xffff0000, 0x10000}, IDRange{0, 10}, false},
		{IDRange{0xfffffff0, 0xffffffff}, IDRange{0xfffffff8, 1}, true},
		{IDRange{0, 0xffffffff}, IDRange{0xfffffffe, 1}, true},
		// An empty range holds no id to share.
		{IDRange{100, 0}, IDRange{90, 20}, false},
		{IDRange{100, 0}, IDRange{100, 0}, false},
		{IDRange{100, 0}, IDRange{100, 1}, false},
	}
	for _, tt := range tests {
		if got := tt.a.overlaps(tt.b); got != tt.want {
			t.Errorf("%v.overlaps(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := tt.b.overlaps(tt.a); got != tt.want {
			t.Errorf("%v.overlaps(%v) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestReadSubIDs(t *testing.T) {
	tests := []struct {
		name, content string
		want          []IDRange
	}{
		{"empty", "", nil},
		{"useradd entries", "alice:100000:65536\nbob:165536:65536\n",
			[]IDRange{{100000, 65536}, {165536, 65536}}},
		{"numeric owner", "1000:231072:65536\n", []IDRange{{231072, 65536}}},
		{"no final newline", "alice:100000:65536", []IDRange{{100000, 65536}}},
		{"spaces around", "  alice:100000:65536  \r\n", []IDRange{{100000, 65536}}},
		{"skips what it cannot read",
			"# a comment\n\nalice:100000\nbob:x:65536\ncarol:1:y\ndave:1:2:3\neve:-1:5\nfrank:4294967296:1\nok:7:8\n",
			[]IDRange{{7, 8}}},
		{"largest values", "big:4294967295:4294967295\n", []IDRange{{4294967295, 4294967295}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "subuid")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readSubIDs(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("readSubIDs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadSubIDsMissing(t *testing.T) {
	got, err := readSubIDs(filepath.Join(t.TempDir(), "no-such-file"))
	if err != nil || got != nil {
		t.Errorf("readSubIDs(missing) = %v, %v; want nil, nil", got, err)
	}
}

func TestReadSubIDsUnreadable(t *testing.T) {
	// A directory opens but cannot be read as lines.
	if _, err := readSubIDs(t.TempDir()); err == nil {
		t.Error("readSubIDs(a directory) succeeded")
	}
	// A line longer than bufio.Scanner's limit is an error, not a skip.
	path := filepath.Join(t.TempDir(), "subuid")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 1<<17)+":1:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readSubIDs(path); err == nil {
		t.Error("readSubIDs(a 128 KiB line) succeeded")
	}
}

func TestReadAccounts(t *testing.T) {
	tests := []struct {
		name, content string
		fields        []int
		want          []IDRange
	}{
		{"empty", "", []int{2, 3}, nil},
		{"passwd: uid and gid", "root:x:0:0:root:/root:/bin/bash\nfrr:x:101:102::/nonexistent:/usr/sbin/nologin\n",
			[]int{2, 3}, []IDRange{{0, 1}, {0, 1}, {101, 1}, {102, 1}}},
		{"group: gid", "root:x:0:\nfrr:x:102:alice,bob\n", []int{2}, []IDRange{{0, 1}, {102, 1}}},
		{"no final newline", "u:x:1879048193:7", []int{2, 3}, []IDRange{{1879048193, 1}, {7, 1}}},
		{"largest id", "big:x:4294967295:4294967294:::\n", []int{2, 3}, []IDRange{{4294967295, 1}, {4294967294, 1}}},
		{"skips what it cannot read",
			"# comment\n\n+::::::\n+@nisgroup\n-bob\nshort:x\nneg:x:-1:5\nwide:x:4294967296:6\nhex:x:0x10:8\nok:x:9:10\n",
			[]int{2, 3}, []IDRange{{5, 1}, {6, 1}, {8, 1}, {9, 1}, {10, 1}}},
		{"spaces and CRLF around", "  u:x:11:12  \r\n", []int{2, 3}, []IDRange{{11, 1}, {12, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "passwd")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readAccountFile(path, tt.fields...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("readAccountFile = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadAccountsMissingAndUnreadable(t *testing.T) {
	if got, err := readAccountFile(filepath.Join(t.TempDir(), "none"), 2); err != nil || got != nil {
		t.Errorf("readAccountFile(missing) = %v, %v; want nil, nil", got, err)
	}
	if _, err := readAccountFile(t.TempDir(), 2); err == nil {
		t.Error("readAccountFile(a directory) succeeded")
	}
	// A long group line (many members) is read; one past the limit is an error.
	dir := t.TempDir()
	long := filepath.Join(dir, "long")
	os.WriteFile(long, []byte("g:x:77:"+strings.Repeat("m,", 200000)+"\n"), 0o644)
	if got, err := readAccountFile(long, 2); err != nil || !slices.Equal(got, []IDRange{{77, 1}}) {
		t.Errorf("readAccountFile(a 400 KB line) = %v, %v", got, err)
	}
	huge := filepath.Join(dir, "huge")
	os.WriteFile(huge, []byte("g:x:77:"+strings.Repeat("m", 2<<20)+"\n"), 0o644)
	if _, err := readAccountFile(huge, 2); err == nil || !strings.Contains(err.Error(), huge) {
		t.Errorf("readAccountFile(a 2 MB line) = %v, want an error naming the file", err)
	}
}

// host is what pickIDRangeIn sees of the machine, written to temp files.
type host struct {
	subuid, subgid, passwd, group string
	getent                        map[string]string // database → output; nil: no getent
	getentExit                    map[string]int    // database → exit code
	next                          *string           // content of the next-range file; nil: none
}

// fake points pickIDRangeIn at h and returns the state directory to use.
func (h host) fake(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	saved := []any{subIDFiles, passwdFiles, groupFiles, getentCommand, getentTimeout}
	t.Cleanup(func() {
		subIDFiles, passwdFiles, groupFiles = saved[0].([]string), saved[1].([]string), saved[2].([]string)
		getentCommand, getentTimeout = saved[3].(string), saved[4].(time.Duration)
	})
	subIDFiles = []string{write("subuid", h.subuid, 0o644), write("subgid", h.subgid, 0o644)}
	passwdFiles = []string{write("passwd", h.passwd, 0o644)}
	groupFiles = []string{write("group", h.group, 0o644)}
	getentCommand = filepath.Join(dir, "no-getent")
	if h.getent != nil || h.getentExit != nil {
		for db, out := range h.getent {
			write("getent."+db, out, 0o644)
		}
		for db, code := range h.getentExit {
			write("getent."+db+".exit", strconv.Itoa(code), 0o644)
		}
		getentCommand = write("getent", "#!/bin/sh\n"+
			`[ -f "$0.$1.exit" ] && { echo "getent: $1 failed" >&2; exit $(cat "$0.$1.exit"); }`+"\n"+
			`[ -f "$0.$1" ] && cat "$0.$1"`+"\nexit 0\n", 0o755)
	}
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	// Without a next file the search starts anywhere; here at the first.
	fresh := freshSlot
	freshSlot = func() uint32 { return 0 }
	t.Cleanup(func() { freshSlot = fresh })
	if h.next != nil {
		if err := os.WriteFile(filepath.Join(state, idNextFile), []byte(*h.next), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return state
}

func ptr(s string) *string { return &s }

// slot is the range of the n-th slot of the window; slot(-1) the last.
func slot(n int) IDRange {
	const slots = (idLimit - idFirst) / idRangeSize
	if n < 0 {
		n += slots
	}
	return IDRange{uint32(idFirst + n*idRangeSize), idRangeSize}
}

func readNext(t *testing.T, state string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, idNextFile))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkPick(t *testing.T, got IDRange) {
	t.Helper()
	if got.Count != idRangeSize {
		t.Errorf("picked %v: count %d, want %d", got, got.Count, idRangeSize)
	}
	if got.First < idFirst || uint64(got.First)+uint64(got.Count) > idLimit {
		t.Errorf("picked %v outside [%#x, %#x)", got, idFirst, idLimit)
	}
	if (got.First-idFirst)%idRangeSize != 0 {
		t.Errorf("picked %v: not aligned to %#x", got, idRangeSize)
	}
}

func TestPickIDRange(t *testing.T) {
	s0, s1, s5 := slot(0), slot(1), slot(5)
	line := func(format string, a ...any) string { return fmt.Sprintf(format, a...) + "\n" }
	tests := []struct {
		name string
		host host
		used []IDRange
		want IDRange
	}{
		{"nothing taken, no next file", host{}, nil, s0},
		{"next file empty", host{next: ptr("")}, nil, s0},
		{"next file garbage", host{next: ptr("banana\n")}, nil, s0},
		{"next file negative", host{next: ptr("-1\n")}, nil, s0},
		{"next file below the window", host{next: ptr(line("%d", idFirst-idRangeSize))}, nil, s0},
		{"next file at the window's end", host{next: ptr(line("%d", idLimit))}, nil, s0},
		{"next file past 2^32", host{next: ptr("4294967296\n")}, nil, s0},
		{"next file not at a slot's start", host{next: ptr(line("%d", s5.First+1))}, nil, s0},
		{"next file holds a slot", host{next: ptr(line("%d", s5.First))}, nil, s5},
		{"next file without newline, with blanks", host{next: ptr(fmt.Sprintf(" %d ", s5.First))}, nil, s5},
		{"next slot used: the one after", host{next: ptr(line("%d", s5.First))}, []IDRange{s5}, slot(6)},
		{"last slot", host{next: ptr(line("%d", slot(-1).First))}, nil, slot(-1)},
		{"last slot used: round to the first", host{next: ptr(line("%d", slot(-1).First))}, []IDRange{slot(-1)}, s0},
		{"round past used ones", host{next: ptr(line("%d", slot(-2).First))},
			[]IDRange{slot(-2), slot(-1), s0}, s1},
		{"two slots used, out of order", host{}, []IDRange{s1, s0}, slot(2)},
		{"a range straddling two slots", host{}, []IDRange{{s0.First + 1, idRangeSize}}, slot(2)},
		{"ranges below and above the window", host{}, []IDRange{{0, idFirst}, {idLimit, 1 << 20}}, s0},
		{"a one-id range at a slot's last id", host{}, []IDRange{{s1.First - 1, 1}}, s1},

		{"subuid overlaps", host{subuid: line("alice:%d:100", s0.First+100)}, nil, s1},
		{"subuid overlaps two slots", host{subuid: line("alice:%d:65536", s0.First+100)}, nil, slot(2)},
		{"an empty subuid range holds no id", host{subuid: line("alice:%d:0", s0.First+100)}, nil, s0},
		{"subgid overlaps", host{subgid: line("alice:%d:1", s0.First+idRangeSize-1)}, nil, s1},
		{"subuid just below", host{subuid: line("alice:%d:65536", idFirst-idRangeSize)}, nil, s0},

		{"passwd uid in the slot", host{passwd: line("u:x:%d:100::/:/bin/sh", s0.First)}, nil, s1},
		{"passwd gid in the slot", host{passwd: line("u:x:100:%d::/:/bin/sh", s0.First+7)}, nil, s1},
		{"passwd ids outside", host{passwd: line("u:x:%d:%d::/:/bin/sh", idFirst-1, idLimit)}, nil, s0},
		{"group gid in the slot", host{group: line("g:x:%d:alice", s0.First+idRangeSize-1)}, nil, s1},
		{"group gid of the next slot", host{next: ptr(line("%d", s5.First)), group: line("g:x:%d:", s5.First+1)}, nil, slot(6)},

		{"getent passwd uid in the slot", host{getent: map[string]string{"passwd": line("ldap:*:%d:1::/:/bin/sh", s0.First+5)}}, nil, s1},
		{"getent passwd gid in the slot", host{getent: map[string]string{"passwd": line("ldap:*:5:%d::/:/bin/sh", s0.First+5)}}, nil, s1},
		{"getent group gid in the slot", host{getent: map[string]string{"group": line("ldapg:*:%d:", s0.First)}}, nil, s1},
		{"getent and files together", host{
			passwd: line("u:x:%d:1::/:/bin/sh", s0.First),
			group:  line("g:x:%d:", s1.First),
			getent: map[string]string{"passwd": line("u:x:%d:1::/:/bin/sh", slot(2).First), "group": line("g:x:%d:", slot(3).First)},
		}, nil, slot(4)},
		{"getent cannot enumerate", host{getentExit: map[string]int{"passwd": 3, "group": 3}}, nil, s0},
		{"getent finds nothing", host{getentExit: map[string]int{"passwd": 2}, getent: map[string]string{"group": line("g:x:%d:", s0.First)}}, nil, s1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := tt.host.fake(t)
			got, err := pickIDRangeIn(state, tt.used)
			if err != nil {
				t.Fatal(err)
			}
			checkPick(t, got)
			if got != tt.want {
				t.Errorf("picked %v, want %v", got, tt.want)
			}
			next := got.First + idRangeSize
			if next+idRangeSize > idLimit {
				next = idFirst
			}
			if got, want := readNext(t, state), fmt.Sprintf("%d\n", next); got != want {
				t.Errorf("next file holds %q, want %q", got, want)
			}
		})
	}
}

// TestPickIDRangeRotates: a range a lab gave back is not the next one
// handed out; picks go round the window.
func TestPickIDRangeRotates(t *testing.T) {
	state := host{}.fake(t)
	pick := func(used ...IDRange) IDRange {
		t.Helper()
		r, err := pickIDRangeIn(state, used)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := pick()
	b := pick(a)
	if a != slot(0) || b != slot(1) {
		t.Fatalf("first picks %v, %v; want %v, %v", a, b, slot(0), slot(1))
	}
	// a went down: only b is used now.
	if c := pick(b); c != slot(2) {
		t.Errorf("after a went down: picked %v, want %v, not a's %v again", c, slot(2), a)
	}
	// b and c went down too: still onwards.
	if d := pick(); d != slot(3) {
		t.Errorf("with nothing up: picked %v, want %v", d, slot(3))
	}
	// At the end of the window, round to its start, past what is used.
	os.WriteFile(filepath.Join(state, idNextFile), fmt.Appendf(nil, "%d\n", slot(-1).First), 0o600)
	if e := pick(); e != slot(-1) {
		t.Errorf("picked %v, want the last slot %v", e, slot(-1))
	}
	if f := pick(slot(-1), slot(0)); f != slot(1) {
		t.Errorf("after the last slot: picked %v, want %v", f, slot(1))
	}
	if fi, err := os.Stat(filepath.Join(state, idNextFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("next file: %v, %v; want mode 0600", fi, err)
	}
	if _, err := os.Stat(filepath.Join(state, idNextFile+".new")); !os.IsNotExist(err) {
		t.Errorf("temporary next file left behind: %v", err)
	}
}

func TestPickIDRangeDoesNotModifyUsed(t *testing.T) {
	state := host{}.fake(t)
	used := make([]IDRange, 1, 8) // room to append in place
	used[0] = IDRange{idFirst, idRangeSize}
	before := slices.Clone(used[:cap(used)])
	if _, err := pickIDRangeIn(state, used); err != nil {
		t.Fatal(err)
	}
	if after := used[:cap(used)]; !slices.Equal(before, after) {
		t.Errorf("pickIDRange wrote into the caller's slice: %v, was %v", after, before)
	}
}

func TestPickIDRangeFull(t *testing.T) {
	state := host{next: ptr(fmt.Sprintf("%d\n", slot(7).First))}.fake(t)
	_, err := pickIDRangeIn(state, []IDRange{{idFirst, idLimit - idFirst}})
	if err == nil || !strings.Contains(err.Error(), "no free range") {
		t.Errorf("pickIDRange with every id taken: %v, want a no-free-range error", err)
	}
	if got := readNext(t, state); got != fmt.Sprintf("%d\n", slot(7).First) {
		t.Errorf("a failed pick rewrote the next file: %q", got)
	}
	// Every slot but one taken, from any start: that one is picked.
	for _, free := range []int{0, 6, 7, 8, -1} {
		var used []IDRange
		if f := slot(free); f.First > idFirst {
			used = append(used, IDRange{idFirst, f.First - idFirst})
		}
		if end := slot(free).First + idRangeSize; end < idLimit {
			used = append(used, IDRange{end, idLimit - end})
		}
		got, err := pickIDRangeIn(state, used)
		if err != nil || got != slot(free) {
			t.Errorf("pickIDRange with only %v free = %v, %v", slot(free), got, err)
		}
	}
}

// TestPickIDRangeManyAccounts: a directory with an account in every slot
// but one (one id each, in uid, gid and group) is searched, quickly.
func TestPickIDRangeManyAccounts(t *testing.T) {
	const slots = (idLimit - idFirst) / idRangeSize
	var passwd, group strings.Builder
	for i := 0; i < slots; i++ {
		if i == 4000 {
			continue
		}
		s := slot(i)
		fmt.Fprintf(&passwd, "u%d:x:%d:%d::/:/bin/sh\n", i, s.First+uint32(i)%idRangeSize, 100)
		fmt.Fprintf(&group, "g%d:x:%d:\n", i, s.First+idRangeSize-1)
	}
	state := host{passwd: passwd.String(), group: group.String()}.fake(t)
	start := time.Now()
	got, err := pickIDRangeIn(state, nil)
	if err != nil || got != slot(4000) {
		t.Errorf("picked %v, %v; want %v", got, err, slot(4000))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("pick took %v", d)
	}
}

func TestPickIDRangeErrors(t *testing.T) {
	t.Run("getent fails", func(t *testing.T) {
		state := host{getentExit: map[string]int{"group": 1}}.fake(t)
		_, err := pickIDRangeIn(state, nil)
		if err == nil || !strings.Contains(err.Error(), "getent group") || !strings.Contains(err.Error(), "group failed") {
			t.Errorf("pick with a failing getent: %v", err)
		}
	})
	t.Run("getent hangs", func(t *testing.T) {
		state := host{getent: map[string]string{}}.fake(t)
		os.WriteFile(getentCommand, []byte("#!/bin/sh\nexec sleep 10\n"), 0o755)
		getentTimeout = 100 * time.Millisecond
		start := time.Now()
		_, err := pickIDRangeIn(state, nil)
		if err == nil || !strings.Contains(err.Error(), "no answer") {
			t.Errorf("pick with a hanging getent: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("gave up after %v", d)
		}
	})
	t.Run("no getent configured", func(t *testing.T) {
		state := host{}.fake(t)
		getentCommand = ""
		if _, err := pickIDRangeIn(state, nil); err != nil {
			t.Error(err)
		}
	})
	t.Run("unreadable passwd", func(t *testing.T) {
		state := host{}.fake(t)
		passwdFiles = []string{t.TempDir()}
		if _, err := pickIDRangeIn(state, nil); err == nil {
			t.Error("pick with /etc/passwd a directory succeeded")
		}
	})
	t.Run("next file cannot be written", func(t *testing.T) {
		host{}.fake(t)
		_, err := pickIDRangeIn(filepath.Join(t.TempDir(), "gone"), nil)
		if err == nil || !strings.Contains(err.Error(), "record the next uid range") {
			t.Errorf("pick into a missing directory: %v", err)
		}
	})
}

// TestOverlapsAny compares the merged, searched ranges with a plain scan.
func TestOverlapsAny(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		var rs []IDRange
		for i := rng.IntN(20); i > 0; i-- {
			first := uint32(rng.IntN(1 << 12))
			if rng.IntN(10) == 0 {
				first = 0xffffffff - uint32(rng.IntN(8))
			}
			rs = append(rs, IDRange{first, uint32(rng.IntN(64))})
		}
		if rng.IntN(20) == 0 {
			rs = append(rs, IDRange{0, 0xffffffff}, IDRange{0xffffffff, 0xffffffff})
		}
		merged := mergeRanges(slices.Clone(rs))
		for i := 1; i < len(merged); i++ {
			if uint64(merged[i-1].First)+uint64(merged[i-1].Count) > uint64(merged[i].First) {
				t.Fatalf("mergeRanges(%v) = %v: not sorted and disjoint", rs, merged)
			}
		}
		for i := 0; i < 50; i++ {
			c := IDRange{uint32(rng.IntN(1 << 12)), uint32(1 + rng.IntN(64))}
			if i%10 == 0 {
				c.First = 0xffffffff - uint32(rng.IntN(8))
			}
			want := slices.ContainsFunc(rs, c.overlaps)
			if got := overlapsAny(merged, c); got != want {
				t.Fatalf("overlapsAny(%v, %v) = %v, want %v (ranges %v)", merged, c, got, want, rs)
			}
		}
	}
}

// TestHostIDsOfThisMachine reads the real files and NSS (writing nothing):
// root's uid is among the ids taken.
func TestHostIDsOfThisMachine(t *testing.T) {
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Skip("no /etc/passwd")
	}
	ids, err := hostIDs()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids, IDRange{0, 1}) {
		t.Errorf("ids of this machine lack root's 0: %v", ids)
	}
}
