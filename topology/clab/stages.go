package clab

import (
	"os"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/netlab-dev/netlab/topology"
)

// containerlab's stages of a node, in the order a node passes them.
var stageNames = []string{"create", "create-links", "configure", "healthy", "exit"}

// stages reads a node's stages (each level's merged, wait-for lists
// appended, as containerlab merges them). Their exec commands run in the
// node before its exec: ones, in stage order, on-enter before on-exit:
// in netlab every node is made and linked before any command runs. A
// wait-for on a stage whose commands run (configure, healthy) makes the
// node's exec steps wait for that node's (wait-for:); one on create or
// create-links holds by itself.
func (rd *reader) stages(chain []*def, n *topology.Node) {
	var cmds []string
	var at []topology.Pos
	var waits []wait
	for _, stage := range stageNames {
		for _, phase := range []string{"on-enter", "on-exit"} {
			for _, d := range slices.Backward(chain) {
				p, ok := d.keys["stages"]
				if !ok || !rd.Shape(p.Val, yaml.MappingNode, "stages of "+d.label, "stages: {configure: {wait-for: [{node: r1, stage: healthy}]}}") {
					continue
				}
				s := topology.MappingValue(p.Val, stage)
				if s == nil || !rd.Shape(s, yaml.MappingNode, stage+" of stages of "+d.label, stage+": {exec: [{command: ...}]}") {
					continue
				}
				if phase == "on-enter" {
					waits = append(waits, rd.waits(s, stage, d)...)
				}
				c, a := rd.stageExecs(s, stage, phase, d, n.Name)
				cmds, at = append(cmds, c...), append(at, a...)
			}
		}
	}
	for _, d := range chain {
		if p, ok := d.keys["stages"]; ok && p.Val.Kind == yaml.MappingNode {
			for _, sp := range rd.Pairs(p.Val, "stage", "in stages of "+d.label, "merge them") {
				if !slices.Contains(stageNames, sp.Key.Value) {
					rd.Errorf(topology.PosOf(sp.Key), "unknown stage %q in %s; containerlab's stages are %s", sp.Key.Value, d.label, "create, create-links, configure, healthy, exit")
				}
			}
		}
	}
	n.Exec, n.ExecPos = append(cmds, n.Exec...), append(at, n.ExecPos...)
	for _, w := range waits {
		if !slices.Contains(n.WaitFor, w.node) {
			n.WaitFor = append(n.WaitFor, w.node)
			n.WaitForPos = append(n.WaitForPos, w.pos)
		}
	}
	if len(n.WaitFor) > 0 {
		rd.note(n.Name, "wait-for: its exec steps start once those of %v have ended", n.WaitFor)
	}
}

// wait is a node a wait-for names, and where.
type wait struct {
	node string
	pos  topology.Pos
}

// waits reads a stage's wait-for: the nodes whose commands must have run.
func (rd *reader) waits(s *yaml.Node, stage string, d *def) []wait {
	var out []wait
	v := topology.MappingValue(s, "wait-for")
	if v == nil || !rd.Shape(v, yaml.SequenceNode, "wait-for of "+stage+" of "+d.label, "wait-for: [{node: r1, stage: healthy}]") {
		return nil
	}
	for _, item := range rd.Items(v) {
		if !rd.Shape(item, yaml.MappingNode, "an item of wait-for of "+d.label, "{node: r1, stage: healthy}") {
			continue
		}
		f := rd.Fields(item, "in wait-for of "+d.label, []string{"node", "stage"}, nil)
		np, ok := f["node"]
		if !ok {
			rd.Errorf(topology.PosOf(item), "an item of wait-for of %s has no node; write {node: r1, stage: healthy}", d.label)
			continue
		}
		node, ok := rd.Scalar(np.Val, "node of wait-for of "+d.label, "node: r1")
		if !ok {
			continue
		}
		target := "create"
		if sp, ok := f["stage"]; ok {
			if target, ok = rd.Scalar(sp.Val, "stage of wait-for of "+d.label, "stage: healthy"); ok && !slices.Contains(stageNames, target) {
				rd.Refuse(topology.PosOf(sp.Val), "unknown stage %q in wait-for of %s; write one of create, create-links, configure, healthy, exit", target, d.label)
				continue
			}
		}
		if target == "configure" || target == "healthy" || target == "exit" {
			out = append(out, wait{node, topology.PosOf(np.Val)})
		}
	}
	return out
}

// stageExecs reads a stage's exec commands of one phase. One on the host
// is refused: netlab runs nothing on the host. The exit stage, which a
// node reaches when its container ends, has no counterpart: netlab nodes
// run until down.
func (rd *reader) stageExecs(s *yaml.Node, stage, phase string, d *def, node string) ([]string, []topology.Pos) {
	v := topology.MappingValue(s, "exec")
	if v == nil || !rd.Shape(v, yaml.SequenceNode, "exec of "+stage+" of "+d.label, "exec: [{command: ..., phase: on-enter}]") {
		return nil, nil
	}
	var cmds []string
	var at []topology.Pos
	for _, item := range rd.Items(v) {
		if !rd.Shape(item, yaml.MappingNode, "an exec of "+stage+" of "+d.label, "{command: ip link, phase: on-enter}") {
			continue
		}
		f := rd.Fields(item, "in an exec of "+stage+" of "+d.label, []string{"command", "phase", "target"}, nil)
		get := func(key, dflt string) string {
			if p, ok := f[key]; ok {
				if s, ok := rd.Scalar(p.Val, key+" of an exec of "+d.label, key+": "+dflt); ok {
					return s
				}
			}
			return dflt
		}
		if get("phase", "on-enter") != phase {
			continue
		}
		cp, ok := f["command"]
		if !ok {
			rd.Errorf(topology.PosOf(item), "an exec of %s of %s has no command; write command: and the command line", stage, d.label)
			continue
		}
		switch {
		case get("target", "container") == "host":
			rd.Refuse(topology.PosOf(f["target"].Val), "an exec of %s of %s runs on the host; netlab runs nothing on the host: run it in the node (target: container), or by hand", stage, d.label)
			continue
		case stage == "exit":
			rd.Refuse(topology.PosOf(cp.Key), "an exec of the exit stage of %s runs when the node's container ends; netlab nodes run until down: run it in another stage", d.label)
			continue
		}
		c, ok := rd.Scalar(cp.Val, "command of an exec of "+d.label, "command: ip link")
		if !ok {
			continue
		}
		if line, ok := rd.command(rd.magic.replace(c, node), topology.PosOf(cp.Val), "command of "+stage+" of "+d.label); ok {
			cmds = append(cmds, goesOn(line))
			at = append(at, topology.PosOf(cp.Val))
		}
	}
	return cmds, at
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
