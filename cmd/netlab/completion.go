package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlab-dev/netlab/topology"
)

func newCompletionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script: verbs, flags, labs, nodes, NODE:IF, topology files",
		Long: `Print the completion script of a shell. It completes verbs and flags, lab
names (down, status, graph, --lab), nodes (exec, shell, logs: NODE, or
LAB/NODE while several labs are up), NODE:IFNAME of link set, graph --format,
and topology files (*.yaml, *.yml) of up, validate, graph and import.

  bash:  netlab completion bash > /etc/bash_completion.d/netlab   (bash-completion)
         or, for this shell only: source <(netlab completion bash)
  zsh:   netlab completion zsh > "${fpath[1]}/_netlab"   (with compinit)
  fish:  netlab completion fish > ~/.config/fish/completions/netlab.fish

Lab and node names are those of the labs of whoever the shell runs as: an
ordinary user's own labs in the user's shell, root's in a root shell. The
shell asks netlab itself, without sudo, so "sudo netlab exec <TAB>" typed by
a user completes the user's labs, not root's.`,
		Args:      wantArgs(1, 1),
		ValidArgs: []string{"bash", "zsh", "fish"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return usageError("completion: unknown shell %q; use bash, zsh or fish", args[0])
		},
	}
}

// addCompletions says how each verb's arguments and flags complete, in one
// place for all verbs, here rather than in the verbs' own files. A verb
// that says it itself (ValidArgsFunction, a flag's completion) keeps its
// own; verbs not listed complete nothing but their flags.
func addCompletions(root *cobra.Command) {
	args := map[string]cobra.CompletionFunc{
		"up":       completeFiles,
		"validate": completeFiles,
		"import":   completeFiles,
		"graph":    completeGraphArg,
		"down":     completeLabArgs,
		"status":   completeLabArgs,
		"check":    completeLabArgs,
		"exec":     completeExecArgs,
		"shell":    completeFirst(completeNodeArg),
		"logs":     completeFirst(completeNodeArg),
		"restart":  completeNodeArg,
		"stop":     completeNodeArg,
		"start":    completeNodeArg,
		"events":   completeLabArgs,
		"save":     completeLabArgs,
		"link set": completeLinkSet,
	}
	flags := map[string]map[string]cobra.CompletionFunc{
		"graph": {"format": fixed(graphFormats...)},
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), root.Name()), " ")
		if f, ok := args[path]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = f
		}
		for name, f := range flags[path] {
			register(c, name, f)
		}
		if c.Flags().Lookup("lab") != nil {
			register(c, "lab", completeLabFlag)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// register gives flag name of c its completion, unless it has one.
func register(c *cobra.Command, name string, f cobra.CompletionFunc) {
	if _, ok := c.GetFlagCompletionFunc(name); !ok && c.Flags().Lookup(name) != nil {
		_ = c.RegisterFlagCompletionFunc(name, f)
	}
}

// fixed completes one of a few values ("value\tdescription").
func fixed(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFirst completes the first argument with f, and no other.
func completeFirst(f cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, args, toComplete)
	}
}

// completeFiles completes topology files, and directories on the way.
func completeFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// completeGraphArg completes graph's one argument: the labs that are up
// when the word could name one, else topology files. (A shell completes
// either names of its own choosing or files, not both at once.)
func completeGraphArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if labs := matchingLabs(toComplete, nil); len(labs) > 0 {
		return labs, cobra.ShellCompDirectiveNoFileComp
	}
	return completeFiles(cmd, args, toComplete)
}

// completeLabArgs completes lab names, each once.
func completeLabArgs(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return matchingLabs(toComplete, args), cobra.ShellCompDirectiveNoFileComp
}

func completeLabFlag(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return matchingLabs(toComplete, nil), cobra.ShellCompDirectiveNoFileComp
}

// matchingLabs is the labs that are up whose names start with prefix, but
// those in except.
func matchingLabs(prefix string, except []string) []string {
	labs, err := listLabs()
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range labs {
		if strings.HasPrefix(l, prefix) && !slices.Contains(except, l) {
			out = append(out, l)
		}
	}
	return out
}

// completeExecArgs completes exec's NODE; what follows runs in the node,
// whose files are mostly the host's: files.
func completeExecArgs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return completeNodeArg(cmd, args, toComplete)
}

func completeNodeArg(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	lab, _ := cmd.Flags().GetString("lab")
	return matchingNodes(lab, toComplete), cobra.ShellCompDirectiveNoFileComp
}

// matchingNodes is the nodes that a node argument starting with prefix
// may name: NODE of the lab given (by --lab, or by prefix's LAB/), or of
// the only lab that is up; else LAB/NODE of every lab that is up.
func matchingNodes(lab, prefix string) []string {
	if lab == "" {
		if l, _, ok := strings.Cut(prefix, "/"); ok {
			return nodesOf(l, l+"/", prefix)
		}
	}
	if lab != "" {
		return nodesOf(lab, "", prefix)
	}
	labs, err := listLabs()
	if err != nil {
		return nil
	}
	if len(labs) == 1 {
		if out := nodesOf(labs[0], "", prefix); len(out) > 0 {
			return out
		}
	}
	var out []string
	for _, l := range labs {
		if strings.HasPrefix(l+"/", prefix) || strings.HasPrefix(prefix, l+"/") {
			out = append(out, nodesOf(l, l+"/", prefix)...)
		}
	}
	return out
}

// nodesOf is the nodes of lab, each after before, that start with prefix.
func nodesOf(lab, before, prefix string) []string {
	nodes, err := labNodes(lab)
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range nodes {
		if strings.HasPrefix(before+n, prefix) {
			out = append(out, before+n)
		}
	}
	return out
}

// completeLinkSet completes NODE:IFNAME, then up or down. It first offers
// nodes (with the ':' after them), then the interfaces of the node that
// are link ends, as status reports them.
func completeLinkSet(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
	case 1:
		return fixed("up\tplug the link in", "down\tpull the link's cable")(cmd, args, toComplete)
	default:
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	lab, _ := cmd.Flags().GetString("lab")
	nodeArg, ifPrefix, ok := strings.Cut(toComplete, ":")
	if !ok {
		var out []string
		for _, n := range matchingNodes(lab, toComplete) {
			out = append(out, n+":")
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	node := nodeArg
	if l, n, ok := strings.Cut(nodeArg, "/"); ok {
		lab, node = l, n
	}
	if lab == "" {
		labs, err := listLabs()
		if err != nil || len(labs) != 1 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		lab = labs[0]
	}
	ls, err := statusOf(true, ownLabs(lab)...)
	if err != nil || len(ls) != 1 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	// Link ends of node: its interfaces that have a peer, and the ends
	// its peers name (a node that is not running reports no interfaces).
	var out []string
	add := func(e topology.Endpoint) {
		if e.Node == node && strings.HasPrefix(e.Interface, ifPrefix) {
			out = append(out, nodeArg+":"+e.Interface)
		}
	}
	for _, ns := range ls[0].Nodes {
		for _, is := range ns.Interfaces {
			if peer, ok := parseEndpoint(is.Peer); ok {
				add(topology.Endpoint{Node: ns.Name, Interface: is.Name})
				add(peer)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), cobra.ShellCompDirectiveNoFileComp
}
