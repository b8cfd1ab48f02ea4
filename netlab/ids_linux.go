package netlab

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Labs map node root to one range of idRangeSize host ids, chosen from
// [idFirst, idLimit): above the ranges useradd hands out in /etc/subuid and
// below 2^31, where some tools start to misread ids as negative.
const (
	idRangeSize = 1 << 16
	idFirst     = 0x70000000
	idLimit     = 0x7ffe0000
)

// pickIDRange returns a range no other lab holds and that no /etc/subuid or
// /etc/subgid entry overlaps. The caller holds the lock on StateRoot, so
// two ups cannot pick the same one.
func pickIDRange(used []IDRange) (IDRange, error) {
	taken := append([]IDRange(nil), used...)
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		r, err := readSubIDs(f)
		if err != nil {
			return IDRange{}, err
		}
		taken = append(taken, r...)
	}
	for first := uint64(idFirst); first+idRangeSize <= idLimit; first += idRangeSize {
		c := IDRange{First: uint32(first), Count: idRangeSize}
		free := true
		for _, t := range taken {
			if c.overlaps(t) {
				free = false
				break
			}
		}
		if free {
			return c, nil
		}
	}
	return IDRange{}, fmt.Errorf("no free range of %d host uids left between %d and %d", idRangeSize, idFirst, idLimit)
}

func (r IDRange) overlaps(o IDRange) bool {
	return uint64(r.First) < uint64(o.First)+uint64(o.Count) && uint64(o.First) < uint64(r.First)+uint64(r.Count)
}

// readSubIDs reads NAME:FIRST:COUNT lines; a missing file holds none.
func readSubIDs(path string) ([]IDRange, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []IDRange
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
		out = append(out, IDRange{First: uint32(first), Count: uint32(count)})
	}
	return out, sc.Err()
}
