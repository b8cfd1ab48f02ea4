package topology

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

const limitsExample = "limits: {pids: 1024, memory: 2GiB, cpus: 1.5}"

// limits reads a limits: mapping, the lab's (what is "limits") or a
// node's ("limits of node r1"). Keys left out stay zero. Values are checked
// against their bounds as they are read, so that a message shows them as
// written; Validate checks the same bounds on a Topology built in Go.
func (d *decoder) limits(p Pair, what string) Limits {
	l := Limits{Pos: PosOf(p.Key), At: At{}}
	if !d.Shape(p.Val, yaml.MappingNode, what, limitsExample) {
		return l
	}
	f := d.Fields(p.Val, "in "+what, []string{"pids", "memory", "cpus"}, nil)
	for k, q := range f {
		l.At[k] = PosOf(q.Val)
	}
	if q, ok := f["pids"]; ok {
		l.Pids = d.pids(q.Val, what)
	}
	if q, ok := f["memory"]; ok {
		l.Memory = d.memory(q.Val, what)
	}
	if q, ok := f["cpus"]; ok {
		l.CPUs = d.cpus(q.Val, what)
	}
	return l
}

var (
	wholeRE  = regexp.MustCompile(`^[0-9]+$`)
	numberRE = regexp.MustCompile(`^([0-9]+\.?[0-9]*|\.[0-9]+)$`)
	// A size is a number of bytes, or a number and a unit, with a space
	// between them or not: 512MiB, 1.5 G, 2000000000.
	sizeRE = regexp.MustCompile(`^([0-9]+\.?[0-9]*|\.[0-9]+) ?([KMGT]|[KMGT]iB|[KMGT]B)?$`)
)

// sizeUnits are the units a memory size may carry. K, M, G and T are
// powers of 1024, as are KiB, MiB, GiB and TiB, which say so; KB, MB, GB
// and TB are powers of 1000, as disk makers count.
var sizeUnits = map[string]int64{
	"":  1,
	"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
}

func (d *decoder) pids(v *yaml.Node, what string) int {
	s, ok := d.Scalar(v, "pids of "+what, "pids: 1024")
	if !ok {
		return 0
	}
	switch {
	case strings.HasPrefix(s, "-"):
		d.Errorf(PosOf(v), "pids %s of %s %s", show(s), what, pidsProblem(-1))
	case !wholeRE.MatchString(s):
		d.Errorf(PosOf(v), "pids %q of %s is not a whole number; write a number of processes, e.g. pids: 1024", s, what)
	default:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			n = math.MaxInt64
		}
		if why := pidsProblem(n); why != "" {
			d.Errorf(PosOf(v), "pids %s of %s %s", s, what, why)
			return 0
		}
		return int(n)
	}
	return 0
}

// pidsProblem says what is wrong with a pids limit, or returns "". Validate
// lets 0 through, as the default; a file that writes 0 is told off.
func pidsProblem(n int64) string {
	switch {
	case n < 0:
		return fmt.Sprintf("is negative; write a number of processes of at least %d, e.g. pids: 1024", MinPids)
	case n < MinPids:
		return fmt.Sprintf("is too few to start a lab's processes; write at least %d, e.g. pids: 1024", MinPids)
	case n > MaxPids:
		return fmt.Sprintf("is over the kernel's limit; write at most %d", MaxPids)
	}
	return ""
}

func (d *decoder) memory(v *yaml.Node, what string) int64 {
	s, ok := d.Scalar(v, "memory of "+what, "memory: 512MiB")
	if !ok {
		return 0
	}
	n, why := parseSize(s)
	if why == "" {
		why = memoryProblem(n)
	}
	if why != "" {
		d.Errorf(PosOf(v), "memory %s of %s %s", show(s), what, why)
		return 0
	}
	return n
}

const sizeHint = "write a number of bytes, or a number and a unit, e.g. memory: 512MiB (K, M, G, T, KiB, MiB, GiB and TiB are powers of 1024; KB, MB, GB and TB of 1000)"

// parseSize reads a size as sizeRE and sizeUnits have it, rounded down to
// a whole byte, or says what is wrong with it.
func parseSize(s string) (int64, string) {
	if strings.HasPrefix(s, "-") {
		return 0, memoryProblem(-1)
	}
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, "is not a size; " + sizeHint
	}
	if m[2] == "" && !wholeRE.MatchString(m[1]) {
		return 0, "is not a whole number of bytes; " + sizeHint
	}
	r, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, "is not a size; " + sizeHint
	}
	r.Mul(r, new(big.Rat).SetInt64(sizeUnits[m[2]]))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	if !n.IsInt64() {
		return 0, "is more bytes than can be counted; write a size below 8EiB, e.g. memory: 64GiB"
	}
	return n.Int64(), ""
}

// memoryProblem says what is wrong with a memory limit in bytes, or returns "".
func memoryProblem(n int64) string {
	switch {
	case n < 0:
		return "is negative; write a size of at least 16MiB, e.g. memory: 512MiB"
	case n < MinMemory:
		return "is too little to run a lab; write at least 16MiB, e.g. memory: 512MiB"
	}
	return ""
}

func (d *decoder) cpus(v *yaml.Node, what string) float64 {
	s, ok := d.Scalar(v, "cpus of "+what, "cpus: 1.5")
	if !ok {
		return 0
	}
	switch {
	case strings.HasPrefix(s, "-"):
		d.Errorf(PosOf(v), "cpus %s of %s %s", show(s), what, cpusProblem(-1))
	case !numberRE.MatchString(s):
		whose := "the lab"
		if what != "limits" {
			whose = "the node"
		}
		d.Errorf(PosOf(v), "cpus %q of %s is not a number; write how many CPUs' worth of time %s may use, e.g. cpus: 1.5", s, what, whose)
	default:
		f, _ := strconv.ParseFloat(s, 64) // digits and a point always parse, if need be to +Inf
		if why := cpusProblem(f); why != "" {
			d.Errorf(PosOf(v), "cpus %s of %s %s", s, what, why)
			return 0
		}
		return f
	}
	return 0
}

// cpusProblem says what is wrong with a CPU limit, or returns "".
func cpusProblem(f float64) string {
	switch {
	case math.IsNaN(f) || f < 0:
		return "is negative; write a positive number of CPUs, e.g. cpus: 1.5"
	case f == 0:
		return "is no time at all; write a positive number of CPUs, e.g. cpus: 1.5, or remove it for no limit"
	case f < MinCPUs:
		return fmt.Sprintf("is below what the kernel can enforce; write at least %g", MinCPUs)
	case f > MaxCPUs:
		return fmt.Sprintf("is more than %d; write at most %d, e.g. cpus: 1.5", MaxCPUs, MaxCPUs)
	}
	return ""
}
