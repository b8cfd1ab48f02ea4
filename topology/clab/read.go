package clab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/netlab-dev/netlab/topology"
)

// Lab is a containerlab topology read as a netlab one.
type Lab struct {
	Topology *topology.Topology
	// Warnings are what up goes on without, one line each: the engine's
	// settings dropped (all on one line), software an image had that this
	// host lacks.
	Warnings []string
	// Notes say, node by node, what was mapped or dropped: netlab import
	// writes them as comments.
	Notes []Note
}

// Note is one thing the reader mapped or dropped, for a node ("" for the
// lab as a whole).
type Note struct {
	Node string
	Text string
}

// Options are what the reader asks of the machine; the zero value asks
// the machine itself.
type Options struct {
	// LookupEnv gives the environment ${VAR} reads; os.LookupEnv if nil.
	LookupEnv func(string) (string, bool)
	// HasProgram reports whether the host has a program, for the
	// warnings about software an image had; exec.LookPath if nil.
	HasProgram func(string) bool
}

// Is reports whether a topology file is containerlab's: named *.clab.yml
// or *.clab.yaml, or holding a top-level topology: key.
func Is(file string, data []byte) bool {
	if strings.HasSuffix(file, ".clab.yml") || strings.HasSuffix(file, ".clab.yaml") {
		return true
	}
	var top map[string]yaml.Node
	return yaml.Unmarshal(data, &top) == nil && top["topology"].Kind != 0
}

// Load reads a containerlab topology file, as topology.Load reads netlab's
// (the same refusals of what is not a readable regular file).
func Load(path string, opts Options) (*Lab, error) {
	data, err := topology.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, opts)
}

// Parse reads a containerlab topology file's content; file names it in
// errors and its directory is where relative paths start. It returns the
// lab, or every problem joined, each a *topology.Error: the file's own, as
// containerlab would refuse them or because netlab has no counterpart, and
// then those of the rules every netlab topology is judged by.
func Parse(file string, data []byte, opts Options) (*Lab, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.HasProgram == nil {
		opts.HasProgram = func(p string) bool { _, err := exec.LookPath(p); return err == nil }
	}
	r, root := topology.NewReader(file, data, "write at least name: and topology: with nodes:")
	if root == nil {
		return nil, topology.Join(r.Errs())
	}
	expandTree(root, opts.LookupEnv, map[*yaml.Node]bool{})
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		dir = filepath.Dir(file)
	}
	rd := &reader{Reader: r, dir: dir, opts: opts, lab: &Lab{}, dropped: map[string]topology.Pos{}}
	t := rd.file(root)
	rd.lab.Topology = t
	if line := rd.droppedLine(); line != "" {
		rd.lab.Warnings = append([]string{line}, rd.lab.Warnings...)
	}
	if _, err := topology.Judge(t, r.Errs()); err != nil {
		return nil, err
	}
	return rd.lab, nil
}

// reader reads one containerlab file.
type reader struct {
	*topology.Reader
	dir   string // the file's directory, absolute
	opts  Options
	lab   *Lab
	magic magic
	// dropped are the engine's settings left out, by key (or what), with
	// where each was first seen: said on one warning line.
	dropped map[string]topology.Pos
	defs    defs
	// defaultMTU is set once a link took containerlab's default MTU.
	defaultMTU bool
}

func (rd *reader) note(node, format string, a ...any) {
	rd.lab.Notes = append(rd.lab.Notes, Note{Node: node, Text: fmt.Sprintf(format, a...)})
}

// drop records an engine setting left out, for the warning line.
func (rd *reader) drop(what string, at topology.Pos) {
	if _, ok := rd.dropped[what]; !ok {
		rd.dropped[what] = at
	}
}

// droppedLine is the one warning that names every dropped setting.
func (rd *reader) droppedLine() string {
	if len(rd.dropped) == 0 {
		return ""
	}
	var parts []string
	for what, at := range rd.dropped {
		parts = append(parts, fmt.Sprintf("%s (line %d)", what, at.Line))
	}
	slices.SortFunc(parts, func(a, b string) int { return strings.Compare(a, b) })
	return fmt.Sprintf("%s: left out what only a container engine has, which changes nothing in the lab's network: %s",
		rd.File, strings.Join(parts, ", "))
}

var topKeys = []string{"name", "prefix", "mgmt", "settings", "topology", "debug"}

func (rd *reader) file(root *yaml.Node) *topology.Topology {
	t := &topology.Topology{File: rd.File}
	if !rd.Shape(root, yaml.MappingNode, "a containerlab topology", "name: and topology: at the top level") {
		return t
	}
	f := rd.Fields(root, "at the top level", topKeys, nil)
	name := ""
	if p, ok := f["name"]; !ok {
		rd.Errorf(topology.PosOf(root), `missing key "name"; add the lab's name at the top level, e.g. name: frr01`)
	} else if s, ok := rd.Scalar(p.Val, "name", "name: frr01"); ok {
		name = s
		t.Name, t.NamePos = labName(s), topology.PosOf(p.Val)
		if t.Name == "" {
			rd.Refuse(t.NamePos, "lab name %q has nothing netlab can name a lab by; use letters, digits and dashes, e.g. name: frr01", s)
		} else if t.Name != s {
			rd.lab.Warnings = append(rd.lab.Warnings, fmt.Sprintf("%s: lab %q is netlab's %s (its names are lowercase letters, digits and dashes)",
				t.NamePos.In(rd.File), s, t.Name))
		}
		if strings.Contains(s, "__gitBranch__") || strings.Contains(s, "__gitHash__") {
			rd.Refuse(t.NamePos, "name %q uses containerlab's git variables, which netlab does not expand; write the lab's name as it is", s)
		}
	}
	rd.magic = magic{labDir: filepath.Join(rd.dir, "clab-"+name), labName: "clab-" + name}
	for _, k := range []string{"prefix", "mgmt", "settings", "debug"} {
		if p, ok := f[k]; ok {
			rd.drop(k, topology.PosOf(p.Key))
		}
	}
	p, ok := f["topology"]
	if !ok {
		rd.Errorf(topology.PosOf(root), `missing key "topology"; add topology: with nodes: (and links:) under it`)
		return t
	}
	if !rd.Shape(p.Val, yaml.MappingNode, "topology", "topology: {nodes: {r1: {kind: linux, image: quay.io/frrouting/frr}}}") {
		return t
	}
	tf := rd.Fields(p.Val, "in topology", []string{"defaults", "kinds", "groups", "nodes", "links"}, nil)
	rd.defs = defs{kinds: map[string]*def{}, groups: map[string]*def{}}
	if q, ok := tf["defaults"]; ok {
		rd.defs.defaults = rd.def(q.Val, "defaults")
	}
	for _, which := range []string{"kinds", "groups"} {
		q, ok := tf[which]
		if !ok || !rd.Shape(q.Val, yaml.MappingNode, which, which+": {routers: {kind: linux}}") {
			continue
		}
		for _, kp := range rd.Pairs(q.Val, strings.TrimSuffix(which, "s"), "under "+which, "keep only one") {
			d := rd.def(kp.Val, strings.TrimSuffix(which, "s")+" "+kp.Key.Value)
			if which == "kinds" {
				rd.defs.kinds[kp.Key.Value] = d
			} else {
				rd.defs.groups[kp.Key.Value] = d
			}
		}
	}
	q, ok := tf["nodes"]
	if !ok {
		rd.Errorf(topology.PosOf(p.Key), `missing key "nodes" in topology; add nodes: with at least one node`)
		return t
	}
	if rd.Shape(q.Val, yaml.MappingNode, "nodes", "nodes: {r1: {kind: linux, image: quay.io/frrouting/frr}}") {
		for _, np := range rd.Pairs(q.Val, "node", "under nodes", "rename or remove one of them") {
			if n := rd.node(np); n != nil {
				t.Nodes = append(t.Nodes, n)
			}
		}
	}
	if q, ok := tf["links"]; ok && rd.Shape(q.Val, yaml.SequenceNode, "links", `links: [{endpoints: ["r1:eth1", "r2:eth1"]}]`) {
		for i, l := range rd.Items(q.Val) {
			if link := rd.link(l, i+1, t); link != nil {
				t.Links = append(t.Links, link)
				for k, e := range link.Endpoints {
					endInterface(t, e, link.EndPos[k])
				}
			}
		}
	}
	if rd.defaultMTU {
		rd.note("", "links without mtu: have containerlab's default, %d", DefaultMTU)
	}
	return t
}

// labName is a containerlab lab name as netlab's: lowercase, other
// characters than letters, digits and dashes made dashes, at most 32
// bytes.
func labName(s string) string {
	s = strings.ToLower(s)
	s = regexp.MustCompile(`[^a-z0-9-]+`).ReplaceAllString(s, "-")
	s = strings.Trim(s, "-")
	if len(s) > 32 {
		s = strings.TrimRight(s[:32], "-")
	}
	return s
}

// fileError is a problem in a file the topology names (an env-file, a
// bound FRR daemons file), at its own place; the file is named as the
// topology file is, from the same directory.
func (rd *reader) fileError(path string, at topology.Pos, format string, a ...any) *topology.Error {
	if rel, err := filepath.Rel(rd.dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		path = filepath.Join(filepath.Dir(rd.File), rel)
	}
	return &topology.Error{File: path, Pos: at, Msg: fmt.Sprintf(format, a...)}
}

// lines splits a file a topology names into its lines, for readers that
// point at them.
func lines(data []byte) []string {
	return strings.Split(string(bytes.TrimRight(data, "\n")), "\n")
}

// readNamed reads a file the topology names, at most 1 MiB, or says why
// not at the place that names it.
func (rd *reader) readNamed(path string, at topology.Pos, what string) ([]byte, bool) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		rd.Refuse(at, "%s %s does not exist; create it, or fix the path (relative paths are from the topology file's directory)", what, rd.shown(path))
	case err != nil:
		rd.Refuse(at, "%s %s cannot be read: %v; make it readable", what, rd.shown(path), err)
	case len(data) > 1<<20:
		rd.Refuse(at, "%s %s is over 1 MiB; a configuration file is smaller", what, rd.shown(path))
	default:
		return data, true
	}
	return nil, false
}

// shown is a path as messages and notes show it: from the topology file's
// directory when it is below it.
func (rd *reader) shown(path string) string {
	if rel, err := filepath.Rel(rd.dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// abs is a path the file writes, from its directory when relative.
func (rd *reader) abs(path string) string {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(rd.dir, path)
	}
	return filepath.Clean(path)
}

// Comments are the lines netlab import writes as comments (see
// topology.EncodeOptions): at the top, where the lab came from, the lab's
// notes and warnings; above each node, its notes.
func Comments(lab *Lab, src string) map[string][]string {
	c := map[string][]string{"": {"netlab topology imported from the containerlab topology " + src + " by netlab import."}}
	for _, w := range lab.Warnings {
		c[""] = append(c[""], "warning: "+w)
	}
	for _, n := range lab.Notes {
		c[n.Node] = append(c[n.Node], n.Text)
	}
	return c
}
