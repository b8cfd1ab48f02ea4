package netlab

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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

// hostSubIDs are the ranges of this machine's /etc/subuid and /etc/subgid,
// which pickIDRange reads from those fixed paths.
func hostSubIDs(t *testing.T) []IDRange {
	t.Helper()
	var all []IDRange
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		r, err := readSubIDs(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r...)
	}
	return all
}

func checkPick(t *testing.T, got IDRange, used []IDRange) {
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
	for _, u := range append(slices.Clone(used), hostSubIDs(t)...) {
		if got.overlaps(u) {
			t.Errorf("picked %v overlaps taken %v", got, u)
		}
	}
}

func TestPickIDRange(t *testing.T) {
	sub := hostSubIDs(t)
	// The first free slot when nothing but the host's entries is taken:
	// computed independently of pickIDRange's loop.
	firstFree := func(taken []IDRange) IDRange {
		for first := uint32(idFirst); uint64(first)+idRangeSize <= idLimit; first += idRangeSize {
			c := IDRange{first, idRangeSize}
			if !slices.ContainsFunc(taken, c.overlaps) {
				return c
			}
		}
		t.Fatal("machine has no free range")
		return IDRange{}
	}
	base := firstFree(sub)

	tests := []struct {
		name string
		used []IDRange
	}{
		{"none used", nil},
		{"first slot used", []IDRange{base}},
		{"two slots used, out of order", []IDRange{{base.First + idRangeSize, idRangeSize}, base}},
		{"a range straddling two slots", []IDRange{{base.First + 1, idRangeSize}}},
		{"ranges below and above the window", []IDRange{{0, idFirst}, {idLimit, 1 << 20}}},
		{"a one-id range", []IDRange{{base.First + idRangeSize - 1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickIDRange(tt.used)
			if err != nil {
				t.Fatal(err)
			}
			checkPick(t, got, tt.used)
			if want := firstFree(append(slices.Clone(sub), tt.used...)); got != want {
				t.Errorf("picked %v, want the lowest free %v", got, want)
			}
		})
	}
}

func TestPickIDRangeDoesNotModifyUsed(t *testing.T) {
	used := make([]IDRange, 1, 8) // room to append in place
	used[0] = IDRange{idFirst, idRangeSize}
	before := slices.Clone(used[:cap(used)])
	if _, err := pickIDRange(used); err != nil {
		t.Fatal(err)
	}
	if after := used[:cap(used)]; !slices.Equal(before, after) {
		t.Errorf("pickIDRange wrote into the caller's slice: %v, was %v", after, before)
	}
}

func TestPickIDRangeFull(t *testing.T) {
	_, err := pickIDRange([]IDRange{{idFirst, idLimit - idFirst}})
	if err == nil || !strings.Contains(err.Error(), "no free range") {
		t.Errorf("pickIDRange with every id taken: %v, want a no-free-range error", err)
	}
	// Every slot but the last one taken: the last one is picked.
	last := IDRange{idLimit - idRangeSize, idRangeSize}
	if slices.ContainsFunc(hostSubIDs(t), last.overlaps) {
		t.Skip("this machine's /etc/subuid or /etc/subgid holds the last slot")
	}
	got, err := pickIDRange([]IDRange{{idFirst, idLimit - idFirst - idRangeSize}})
	if err != nil || got != last {
		t.Errorf("pickIDRange with only the last slot free = %v, %v; want %v", got, err, last)
	}
}
