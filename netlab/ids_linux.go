package netlab

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Labs map node root to one range of idRangeSize host ids, chosen from
// [idFirst, idLimit): above the ranges useradd hands out in /etc/subuid and
// below 2^31, where some tools start to misread ids as negative.
const (
	idRangeSize = 1 << 16
	idFirst     = 0x70000000
	idLimit     = 0x7ffe0000
)

// idNextFile, in the state root, holds the first id of the range the next
// pick tries first (decimal, one line), while the root exists (see
// freshSlot). Picks go round [idFirst, idLimit)
// from there, so that a range a lab just gave back, with whatever files
// and processes of its ids may be left on the host, is the last one handed
// out again rather than the next.
const idNextFile = ".next-ids"

// freshSlot is where picks start when no lab has run since the state root
// was removed; a variable for tests.
var freshSlot = func() uint32 { return uint32(time.Now().UnixNano() / 1000) }

// Where pickIDRange looks for ids the host already uses. Variables so that
// tests can point them at files of their own.
var (
	subIDFiles  = []string{"/etc/subuid", "/etc/subgid"} // NAME:FIRST:COUNT
	passwdFiles = []string{"/etc/passwd"}                // NAME:PW:UID:GID:...
	groupFiles  = []string{"/etc/group"}                 // NAME:PW:GID:MEMBERS
	// getentCommand is run as "getent passwd" and "getent group" for the
	// accounts NSS knows beyond the files (LDAP, SSSD, systemd's dynamic
	// users); skipped when it is not installed, or when empty.
	getentCommand = "getent"
	getentTimeout = 10 * time.Second
)

// pickIDRangeIn returns a range no other lab holds (used), that no
// /etc/subuid or /etc/subgid entry overlaps, and that holds no uid or gid
// of an account of the host (/etc/passwd, /etc/group and NSS). It searches
// round the window from the range recorded in dir's idNextFile, and records
// the range after the one it picked there. The caller holds the lock on dir,
// so two ups cannot pick the same one.
func pickIDRangeIn(dir string, used []IDRange) (IDRange, error) {
	taken, err := hostIDs()
	if err != nil {
		return IDRange{}, err
	}
	taken = mergeRanges(append(taken, used...))

	next := filepath.Join(dir, idNextFile)
	const slots = (idLimit - idFirst) / idRangeSize
	start := (readNextID(next) - idFirst) / idRangeSize
	if _, err := os.Stat(next); errors.Is(err, os.ErrNotExist) {
		// No lab has run since the last one went down, which took the
		// file with the state root: start anywhere, so that the range
		// it freed is not the next one but by a 1 in 4094 chance.
		start = freshSlot() % slots
	}
	for k := uint32(0); k < slots; k++ {
		slot := (start + k) % slots
		c := IDRange{First: idFirst + slot*idRangeSize, Count: idRangeSize}
		if overlapsAny(taken, c) {
			continue
		}
		after := uint32(idFirst + (slot+1)%slots*idRangeSize)
		if err := writeNextID(next, after); err != nil {
			return IDRange{}, err
		}
		return c, nil
	}
	return IDRange{}, fmt.Errorf("no free range of %d host uids left between %d and %d", idRangeSize, idFirst, idLimit)
}

// hostIDs gathers the ids the host uses: subordinate ranges and accounts.
func hostIDs() ([]IDRange, error) {
	var taken []IDRange
	for _, f := range subIDFiles {
		r, err := readSubIDs(f)
		if err != nil {
			return nil, err
		}
		taken = append(taken, r...)
	}
	for _, f := range passwdFiles {
		r, err := readAccountFile(f, 2, 3)
		if err != nil {
			return nil, err
		}
		taken = append(taken, r...)
	}
	for _, f := range groupFiles {
		r, err := readAccountFile(f, 2)
		if err != nil {
			return nil, err
		}
		taken = append(taken, r...)
	}
	r, err := getentIDs()
	if err != nil {
		return nil, err
	}
	return append(taken, r...), nil
}

// readNextID reads idNextFile; anything but the start of a range in the
// window (missing, empty, garbage, out of the window, unaligned) is idFirst.
func readNextID(path string) uint32 {
	b, err := os.ReadFile(path)
	if err != nil {
		return idFirst
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil || n < idFirst || n+idRangeSize > idLimit || (n-idFirst)%idRangeSize != 0 {
		return idFirst
	}
	return uint32(n)
}

// writeNextID replaces idNextFile atomically: a crash leaves the old one
// or the new one, never half of one.
func writeNextID(path string, first uint32) error {
	tmp := path + ".new"
	err := os.WriteFile(tmp, []byte(strconv.FormatUint(uint64(first), 10)+"\n"), 0o600)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record the next uid range: %w", err)
	}
	return nil
}

// overlaps reports whether r and o share an id; an empty range has none.
func (r IDRange) overlaps(o IDRange) bool {
	return r.Count > 0 && o.Count > 0 && uint64(r.First) < uint64(o.First)+uint64(o.Count) && uint64(o.First) < uint64(r.First)+uint64(r.Count)
}

// mergeRanges returns the ranges sorted, with those that overlap or touch
// joined, and empty ones dropped: what overlapsAny searches.
func mergeRanges(rs []IDRange) []IDRange {
	type span struct{ lo, hi uint64 } // [lo, hi)
	var spans []span
	for _, r := range rs {
		if r.Count > 0 {
			spans = append(spans, span{uint64(r.First), uint64(r.First) + uint64(r.Count)})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.lo <= out[n-1].hi {
			out[n-1].hi = max(out[n-1].hi, s.hi)
			continue
		}
		out = append(out, s)
	}
	// A merged span can be longer than a Count holds; split it.
	var res []IDRange
	for _, s := range out {
		for s.lo < s.hi {
			n := min(s.hi-s.lo, 1<<32-1)
			res = append(res, IDRange{First: uint32(s.lo), Count: uint32(n)})
			s.lo += n
		}
	}
	return res
}

// overlapsAny reports whether c overlaps a range of taken, which
// mergeRanges made sorted and disjoint.
func overlapsAny(taken []IDRange, c IDRange) bool {
	end := uint64(c.First) + uint64(c.Count)
	// The first range that starts at or after c's end cannot overlap, nor
	// can any after it; of those before it only the last can.
	i, _ := slices.BinarySearchFunc(taken, end, func(r IDRange, e uint64) int {
		switch {
		case uint64(r.First) < e:
			return -1
		case uint64(r.First) > e:
			return 1
		}
		return 0
	})
	return i > 0 && taken[i-1].overlaps(c)
}

// readSubIDs reads NAME:FIRST:COUNT lines; a missing file holds none.
func readSubIDs(path string) ([]IDRange, error) {
	entries, err := readSubIDEntries(path)
	var out []IDRange
	for _, e := range entries {
		out = append(out, e.IDRange)
	}
	return out, err
}

// subIDEntry is one line of /etc/subuid or /etc/subgid: OWNER:FIRST:COUNT,
// the owner a user name or uid.
type subIDEntry struct {
	Owner string
	IDRange
}

// readSubIDEntries reads OWNER:FIRST:COUNT lines; a missing file holds none,
// and malformed lines are skipped, as shadow's tools skip them.
func readSubIDEntries(path string) ([]subIDEntry, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []subIDEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(parts) != 3 {
			continue
		}
		first, err1 := strconv.ParseUint(parts[1], 10, 32)
		count, err2 := strconv.ParseUint(parts[2], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, subIDEntry{parts[0], IDRange{First: uint32(first), Count: uint32(count)}})
	}
	return out, sc.Err()
}

// readAccountFile reads the ids in the given colon-separated fields
// (0-based) of passwd(5) or group(5) lines; a missing file holds none.
func readAccountFile(path string, fields ...int) ([]IDRange, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out, err := readAccounts(f, fields...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// readAccounts parses passwd(5) or group(5) lines, each id found as a
// range of one. Lines it cannot read (comments, NIS "+" entries, fields
// that are not numbers) are skipped.
func readAccounts(r io.Reader, fields ...int) ([]IDRange, error) {
	var out []IDRange
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20) // a group with many members makes a long line
	for sc.Scan() {
		parts := strings.Split(strings.TrimSpace(sc.Text()), ":")
		for _, i := range fields {
			if i >= len(parts) {
				continue
			}
			if id, err := strconv.ParseUint(parts[i], 10, 32); err == nil {
				out = append(out, IDRange{First: uint32(id), Count: 1})
			}
		}
	}
	return out, sc.Err()
}

// getentIDs asks NSS for every uid and gid, through getent(1). Without
// getent there is nothing to ask; a database NSS cannot enumerate (exit
// code 3, as with some LDAP setups) or that is empty (2) adds nothing.
func getentIDs() ([]IDRange, error) {
	if getentCommand == "" {
		return nil, nil
	}
	bin, err := exec.LookPath(getentCommand)
	if err != nil {
		return nil, nil
	}
	var out []IDRange
	for _, db := range []struct {
		name   string
		fields []int
	}{{"passwd", []int{2, 3}}, {"group", []int{2}}} {
		b, err := getent(bin, db.name)
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee) && (ee.ExitCode() == 2 || ee.ExitCode() == 3):
			continue
		case err != nil:
			return nil, err
		}
		r, err := readAccounts(strings.NewReader(string(b)), db.fields...)
		if err != nil {
			return nil, fmt.Errorf("getent %s: %w", db.name, err)
		}
		out = append(out, r...)
	}
	return out, nil
}

// getent runs getent(1) on one database, within getentTimeout.
func getent(bin, db string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), getentTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, db)
	cmd.WaitDelay = time.Second // a child of getent left holding stdout
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("getent %s: no answer in %v; the host's accounts could not be listed", db, getentTimeout)
	case errors.As(err, &ee) && (ee.ExitCode() == 2 || ee.ExitCode() == 3):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("getent %s: %v %s", db, err, strings.TrimSpace(stderr.String()))
	}
	return b, nil
}
