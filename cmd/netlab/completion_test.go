package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/netlab"
)

// complete runs netlab's hidden __complete command, as a shell's
// completion script does, and returns the candidates and the directive.
func complete(t *testing.T, args ...string) ([]string, cobra.ShellCompDirective) {
	t.Helper()
	code, stdout, stderr := runCmd(append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	d, err := strconv.Atoi(strings.TrimPrefix(last, ":"))
	if !strings.HasPrefix(last, ":") || err != nil {
		t.Fatalf("__complete %q: no directive in\n%s", args, stdout)
	}
	return lines[:len(lines)-1], cobra.ShellCompDirective(d)
}

func TestComplete(t *testing.T) {
	const (
		noFile = cobra.ShellCompDirectiveNoFileComp
		noSp   = cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		files  = cobra.ShellCompDirectiveFilterFileExt
		deflt  = cobra.ShellCompDirectiveDefault
	)
	two := statusLabs()[:2] // triangle: r1 r2 sw; lan: h1 h2
	one := []netlab.LabStatus{ringStatus()}
	tests := []struct {
		labs []netlab.LabStatus
		args []string
		want []string
		dir  cobra.ShellCompDirective
	}{
		// Lab names: down and status (each lab once), --lab of every verb.
		{two, []string{"down", ""}, []string{"lan", "triangle"}, noFile},
		{two, []string{"down", "lan", ""}, []string{"triangle"}, noFile},
		{two, []string{"status", "t"}, []string{"triangle"}, noFile},
		{nil, []string{"status", ""}, nil, noFile},
		{two, []string{"exec", "--lab", ""}, []string{"lan", "triangle"}, noFile},
		{two, []string{"shell", "--lab", "l"}, []string{"lan"}, noFile},
		{two, []string{"logs", "--lab", ""}, []string{"lan", "triangle"}, noFile},
		{two, []string{"link", "set", "--lab", "tr"}, []string{"triangle"}, noFile},
		// Nodes: of --lab, of LAB/, of the only lab; else LAB/NODE.
		{two, []string{"exec", "--lab", "lan", ""}, []string{"h1", "h2"}, noFile},
		{two, []string{"exec", ""}, []string{"lan/h1", "lan/h2", "triangle/r1", "triangle/r2", "triangle/sw"}, noFile},
		{two, []string{"shell", "tri"}, []string{"triangle/r1", "triangle/r2", "triangle/sw"}, noFile},
		{two, []string{"logs", "lan/"}, []string{"lan/h1", "lan/h2"}, noFile},
		{two, []string{"logs", "lan/h2"}, []string{"lan/h2"}, noFile},
		{one, []string{"exec", ""}, []string{"r1", "r2", "r3", "r4"}, noFile},
		{one, []string{"shell", "r"}, []string{"r1", "r2", "r3", "r4"}, noFile},
		{one, []string{"shell", "ri"}, []string{"ring/r1", "ring/r2", "ring/r3", "ring/r4"}, noFile},
		{one, []string{"shell", "r1", ""}, nil, noFile},
		{one, []string{"logs", "r1", ""}, nil, noFile},
		{nil, []string{"exec", ""}, nil, noFile},
		// What follows exec's NODE runs in the node: files.
		{one, []string{"exec", "r1", "--", ""}, nil, deflt},
		// link set: NODE: first, then the node's link ends, then up|down.
		{one, []string{"link", "set", ""}, []string{"r1:", "r2:", "r3:", "r4:"}, noSp},
		{one, []string{"link", "set", "r1:"}, []string{"r1:eth1", "r1:eth2"}, noFile},
		{one, []string{"link", "set", "r2:eth"}, []string{"r2:eth1", "r2:eth2"}, noFile},
		{one, []string{"link", "set", "r3:"}, []string{"r3:eth1", "r3:eth2"}, noFile}, // not running: from its peers
		{one, []string{"link", "set", "ring/r4:"}, []string{"ring/r4:eth1", "ring/r4:eth2"}, noFile},
		{two, []string{"link", "set", "--lab", "triangle", "r1:"}, []string{"r1:eth1", "r1:eth2"}, noFile},
		{two, []string{"link", "set", "r1:"}, nil, noFile}, // which lab?
		{one, []string{"link", "set", "r1:eth1", ""}, []string{"up\tplug the link in", "down\tpull the link's cable"}, noFile},
		{one, []string{"link", "set", "r1:eth1", "d"}, []string{"down\tpull the link's cable"}, noFile},
		// capture: NODE:IF like link set, as many as asked for.
		{one, []string{"capture", ""}, []string{"r1:", "r2:", "r3:", "r4:"}, noSp},
		{one, []string{"capture", "r1:"}, []string{"r1:eth1", "r1:eth2"}, noFile},
		{one, []string{"capture", "r1:eth1", "r2:"}, []string{"r2:eth1", "r2:eth2"}, noFile},
		// Topology files.
		{one, []string{"up", ""}, []string{"yaml", "yml"}, files},
		{one, []string{"validate", "a.yaml", ""}, []string{"yaml", "yml"}, files},
		{one, []string{"graph", "labs/"}, []string{"yaml", "yml"}, files},
		{one, []string{"graph", "ri"}, []string{"ring"}, noFile},
		{one, []string{"graph", "x", ""}, nil, noFile},
		{one, []string{"graph", "--format", ""}, []string{"dot\tGraphviz (render with: dot -Tsvg)", "mermaid\tMermaid flowchart (for Markdown)", "json\tnodes and links as JSON"}, noFile},
		{one, []string{"graph", "--format", "j"}, []string{"json\tnodes and links as JSON"}, noFile},
		// The completion command itself.
		{nil, []string{"completion", ""}, []string{"bash", "zsh", "fish"}, noFile},
	}
	for _, tt := range tests {
		fakeMachine(t, tt.labs, nil)
		got, dir := complete(t, tt.args...)
		if !slices.Equal(got, tt.want) || dir != tt.dir {
			t.Errorf("netlab %s<TAB>: %q, directive %d; want %q, %d", strings.Join(tt.args, " "), got, dir, tt.want, tt.dir)
		}
	}
}

func TestCompletionCommand(t *testing.T) {
	for sh, first := range map[string]string{"bash": "# bash completion V2 for netlab", "zsh": "#compdef netlab", "fish": "# fish completion for netlab"} {
		code, stdout, stderr := runCmd("completion", sh)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, first) || !strings.Contains(stdout, "__complete") {
			t.Errorf("completion %s: exit %d, stderr %q, script starting %.40q", sh, code, stderr, stdout)
		}
	}
	if code, _, stderr := runCmd("completion", "tcsh"); code != 2 || stderr != "netlab: completion: unknown shell \"tcsh\"; use bash, zsh or fish\n" {
		t.Errorf("completion tcsh: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCmd("completion"); code != 2 {
		t.Errorf("completion with no shell: exit %d, want 2", code)
	}
	_, help, _ := runCmd("--help")
	if !strings.Contains(help, "\n  completion ") || !strings.Contains(help, "netlab completion --help") {
		t.Errorf("netlab --help does not show the completion command:\n%s", help)
	}
}
