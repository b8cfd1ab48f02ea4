package netlab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// ErrNoLabUp is wrapped by the error of a command that needs a lab when
// none is up.
var ErrNoLabUp = errors.New("no lab is up")

// NodeRef names a node of a lab.
type NodeRef struct {
	LabRef
	Node string
}

// String is the node as a command names it: LAB/NODE, or USER:LAB/NODE.
func (r NodeRef) String() string { return r.LabRef.String() + "/" + r.Node }

// splitUser splits USER:REST; without a colon, the user is "".
func splitUser(arg string) (user, rest string) {
	if u, r, ok := strings.Cut(arg, ":"); ok {
		return u, r
	}
	return "", arg
}

// machinesOf are the machines a command of m's owner looks in for user:
// m for "", else that user's (root only, unless it is m's owner).
func (m *Machine) machinesOf(user string) ([]*Machine, error) {
	if user == "" {
		return []*Machine{m}, nil
	}
	return m.UserMachines(user)
}

// FindLab turns a lab argument, LAB or USER:LAB, into the lab it names.
// LAB is m's own, up or not; USER:LAB must be up.
func (m *Machine) FindLab(arg string) (LabRef, error) {
	user, name := splitUser(arg)
	if err := checkLabName(name); err != nil {
		return LabRef{}, err
	}
	if user == "" {
		return LabRef{Machine: m, Name: name}, nil
	}
	dirs, err := m.UserMachines(user)
	if err != nil {
		return LabRef{}, err
	}
	return m.findLabIn(dirs, name, user)
}

// findLabIn finds lab name in the first of dirs that has it, or says
// that it is not up, with the labs that are.
func (m *Machine) findLabIn(dirs []*Machine, name, user string) (LabRef, error) {
	var up []string
	for _, d := range dirs {
		labs, err := d.Labs()
		if err != nil {
			return LabRef{}, err
		}
		if slices.Contains(labs, name) {
			return LabRef{Machine: d, Name: name}, nil
		}
		up = append(up, labs...)
	}
	return LabRef{}, m.NotUpError(name, user, up)
}

// NotUpError says that lab name (of user, "" for m's owner) is not up,
// with the labs that are, and the one name may be a misspelling of. It
// wraps ErrNoLab.
func (m *Machine) NotUpError(name, user string, up []string) error {
	whose, theirs := "", ""
	switch {
	case user != "":
		whose = " of user " + user
	case m.Rootless:
		// Each user sees only labs of their own.
		whose, theirs = " of user "+m.User, "; labs of other users, and root's, are theirs alone"
	}
	running := "no lab is up"
	if len(up) > 0 {
		running = "running: " + strings.Join(up, ", ")
	}
	return notUp(fmt.Sprintf("no lab %s%s is up (%s%s)%s", name, whose, running, theirs, DidYouMean(name, up)))
}

// badName is an error about a name no lab or node has, said in full: it
// is ErrBadName.
type badName string

func (e badName) Error() string        { return string(e) }
func (e badName) Is(target error) bool { return target == ErrBadName }

// notUp is an error about a lab that is not up: it is ErrNoLab.
type notUp string

func (e notUp) Error() string        { return string(e) }
func (e notUp) Is(target error) bool { return target == ErrNoLab }

// hasLab reports whether m holds a directory of lab name.
func (m *Machine) hasLab(name string) bool {
	if m.Own() {
		fi, err := os.Lstat(m.labDir(name))
		return err == nil && fi.IsDir()
	}
	f, _, err := m.openIn(name, unix.O_PATH|unix.O_DIRECTORY)
	if err == nil {
		f.Close()
	}
	return err == nil
}

// hasNode reports whether lab of m has an exec socket for node: a node of
// the lab that was started.
func (m *Machine) hasNode(lab, node string) bool {
	if !topology.ValidNodeName(node) {
		return false
	}
	if m.Own() {
		_, err := os.Lstat(m.socketPath(lab, node))
		return err == nil
	}
	f, _, err := m.openIn(filepath.Join(lab, node+".sock"), unix.O_PATH)
	if err == nil {
		f.Close()
	}
	return err == nil
}

// ResolveNode turns a node argument into the node it names: NODE,
// LAB/NODE, USER:LAB/NODE or USER:NODE, with lab (--lab, LAB or USER:LAB)
// saying the lab when the argument does not. NODE alone is the node of
// that name of the only lab that is up, or of the only lab that has one.
// A node the lab does not have is an error that lists those it has. NODE
// and LAB are m's own; USER: reaches that user's (root's m only).
func (m *Machine) ResolveNode(arg, lab string) (NodeRef, error) {
	user, rest := splitUser(arg)
	labUser, labName := splitUser(lab)
	switch {
	case user == "":
		user = labUser
	case labUser != "" && labUser != user:
		return NodeRef{}, fmt.Errorf("%w: node %s names user %s but --lab says %s", ErrBadName, arg, user, lab)
	}
	node := rest
	if l, n, ok := strings.Cut(rest, "/"); ok {
		if labName != "" && labName != l {
			return NodeRef{}, fmt.Errorf("%w: node %s names lab %s but --lab says %s", ErrBadName, arg, l, labName)
		}
		labName, node = l, n
	}
	dirs, err := m.machinesOf(user)
	if err != nil {
		return NodeRef{}, err
	}
	if labName != "" {
		if err := checkLabName(labName); err != nil {
			return NodeRef{}, err
		}
		ref, err := m.findLabIn(dirs, labName, user)
		if err != nil {
			return NodeRef{}, err
		}
		return nodeIn(ref, node)
	}
	var labs []LabRef
	for _, d := range dirs {
		names, err := d.Labs()
		if err != nil {
			return NodeRef{}, err
		}
		for _, n := range names {
			labs = append(labs, LabRef{Machine: d, Name: n})
		}
	}
	switch len(labs) {
	case 0:
		if user != "" {
			return NodeRef{}, fmt.Errorf("%w: user %s has no lab up", ErrNoLabUp, user)
		}
		return NodeRef{}, fmt.Errorf("%w; start one with: netlab up FILE", ErrNoLabUp)
	case 1:
		return nodeIn(labs[0], node)
	}
	var have []LabRef
	for _, l := range labs {
		if l.Machine.hasNode(l.Name, node) {
			have = append(have, l)
		}
	}
	switch len(have) {
	case 1:
		return NodeRef{LabRef: have[0], Node: node}, nil
	case 0:
		return NodeRef{}, noNodeInLabs(labs, node)
	}
	var names []string
	for _, l := range have {
		names = append(names, l.String())
	}
	return NodeRef{}, ambiguous(fmt.Sprintf("node %s is in %d labs (%s); say which: %s/%s, or --lab %s",
		node, len(have), strings.Join(names, ", "), names[0], node, names[0]))
}

// ErrAmbiguous is what the error about a name several labs answer to is.
var ErrAmbiguous = errors.New("ambiguous")

type ambiguous string

func (e ambiguous) Error() string        { return string(e) }
func (e ambiguous) Is(target error) bool { return target == ErrAmbiguous }

// nodeIn is node of lab ref; a name no node can have is an error that
// lists the nodes the lab has.
func nodeIn(ref LabRef, node string) (NodeRef, error) {
	if !topology.ValidNodeName(node) {
		st, err := ref.Machine.readState(ref.Name)
		if err != nil {
			return NodeRef{}, fmt.Errorf("%w: node %q", ErrBadName, node)
		}
		return NodeRef{}, unknownNode(st, node)
	}
	return NodeRef{LabRef: ref, Node: node}, nil
}

// noNodeInLabs says that none of labs has node, with what they have and
// the node (LAB/NODE) it may be a misspelling of.
func noNodeInLabs(labs []LabRef, node string) error {
	var names, nodes, full []string
	for _, l := range labs {
		names = append(names, l.String())
		if st, err := l.Machine.readState(l.Name); err == nil {
			for _, n := range st.Nodes {
				nodes = append(nodes, n.Name)
				full = append(full, l.String()+"/"+n.Name)
			}
		}
	}
	hint := ""
	if i := closest(node, nodes); i >= 0 {
		hint = "; did you mean " + full[i] + "?"
	}
	return badName(fmt.Sprintf("no lab that is up has a node %q (labs: %s)%s", node, strings.Join(names, ", "), hint))
}

// DidYouMean is "; did you mean X?" for the one of among that name is
// most likely a misspelling of, or "" when none is close.
func DidYouMean(name string, among []string) string {
	if i := closest(name, among); i >= 0 {
		return "; did you mean " + among[i] + "?"
	}
	return ""
}

// closest is the index of the one of among that name is most likely a
// misspelling of: the same but for case, else the nearest by edit
// distance, at most 2 and less than half of name's length; -1 if none.
func closest(name string, among []string) int {
	best, bestDist := -1, 3
	for i, c := range among {
		if c == name {
			continue
		}
		if strings.EqualFold(c, name) {
			return i
		}
		if d := editDistance(name, c); d < bestDist && 2*d < len(name) {
			best, bestDist = i, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
