package topology

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// EncodeOptions tune Encode.
type EncodeOptions struct {
	// Dir is the directory the file is written to: binds' host paths
	// below it are written relative to it. "" writes them absolute.
	Dir string
	// Comments are lines written as comments: those of "" at the top,
	// those of a node's name above the node.
	Comments map[string][]string
}

// Encode writes t in netlab's own format, such that Parse reads back the
// same lab (positions aside). Checks are not written.
func Encode(t *Topology, opts EncodeOptions) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	root.HeadComment = strings.Join(opts.Comments[""], "\n")
	add(root, "name", str(t.Name))
	if !t.Limits.Zero() {
		add(root, "limits", limitsNode(t.Limits))
	}
	switch {
	case t.HostsFrom != "":
		add(root, "hosts", str(t.HostsFrom))
	case len(t.Hosts) > 0:
		hosts := &yaml.Node{Kind: yaml.MappingNode}
		for _, h := range t.Hosts {
			hm := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			add(hm, "address", str(h.Address.String()))
			if h.VXLANPort != DefaultVXLANPort {
				add(hm, "vxlan_port", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(h.VXLANPort)})
			}
			add(hosts, h.Name, hm)
		}
		add(root, "hosts", hosts)
	}
	if t.Placement != "" {
		add(root, "placement", str(t.Placement))
	}
	nodes := &yaml.Node{Kind: yaml.MappingNode}
	for _, n := range t.Nodes {
		k := str(n.Name)
		k.HeadComment = strings.Join(opts.Comments[n.Name], "\n")
		nn := nodeNode(n, opts.Dir)
		if n.Host != "" && t.Placement == "" {
			add(nn, "host", str(n.Host))
		}
		nodes.Content = append(nodes.Content, k, nn)
	}
	add(root, "nodes", nodes)
	if len(t.Links) > 0 {
		links := &yaml.Node{Kind: yaml.SequenceNode}
		for _, l := range t.Links {
			links.Content = append(links.Content, linkNode(l))
		}
		add(root, "links", links)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode lab %s: %w", t.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

func add(m *yaml.Node, key string, v *yaml.Node) { m.Content = append(m.Content, str(key), v) }

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func flowList(items []string) *yaml.Node {
	l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		l.Content = append(l.Content, str(s))
	}
	return l
}

func keyValues(kvs []KeyValue) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, kv := range kvs {
		add(m, kv.Key, str(kv.Value))
	}
	return m
}

func nodeNode(n *Node, dir string) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add(m, "kind", str(string(n.Kind)))
	ifaces := &yaml.Node{Kind: yaml.MappingNode}
	for _, i := range n.Interfaces {
		if len(i.Addrs) == 0 {
			continue // its link names it
		}
		var addrs []string
		for _, a := range i.Addrs {
			addrs = append(addrs, a.String())
		}
		add(ifaces, i.Name, flowList(addrs))
	}
	if len(ifaces.Content) > 0 {
		add(m, "interfaces", ifaces)
	}
	if len(n.Routes) > 0 {
		routes := &yaml.Node{Kind: yaml.SequenceNode}
		for _, r := range n.Routes {
			rm := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			add(rm, "to", str(r.To.String()))
			add(rm, "via", str(r.Via.String()))
			routes.Content = append(routes.Content, rm)
		}
		add(m, "routes", routes)
	}
	for _, e := range []struct {
		key string
		kvs []KeyValue
	}{{"sysctls", n.Sysctls}, {"files", n.Files}, {"env", n.Env}} {
		if len(e.kvs) > 0 {
			add(m, e.key, keyValues(e.kvs))
		}
	}
	if len(n.Binds) > 0 {
		var binds []string
		for _, b := range n.Binds {
			if rel, err := filepath.Rel(dir, b.Host); dir != "" && err == nil && !strings.HasPrefix(rel, "..") {
				b.Host = rel
			}
			binds = append(binds, b.String())
		}
		l := flowList(binds)
		l.Style = 0
		add(m, "binds", l)
	}
	if len(n.Daemons) > 0 {
		add(m, "daemons", flowList(n.Daemons))
	}
	if len(n.DaemonOptions) > 0 {
		add(m, "daemon-options", keyValues(n.DaemonOptions))
	}
	if n.Config != "" {
		add(m, "config", str(n.Config))
	}
	if !n.Limits.Zero() {
		add(m, "limits", limitsNode(n.Limits))
	}
	if !n.Clock.Zero() {
		c := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		add(c, "offset", str(n.Clock.Offset.String()))
		add(m, "clock", c)
	}
	if len(n.WaitFor) > 0 {
		add(m, "wait-for", flowList(n.WaitFor))
	}
	if len(n.Exec) > 0 {
		l := flowList(n.Exec)
		l.Style = 0
		add(m, "exec", l)
	}
	if len(n.Services) > 0 {
		add(m, "services", servicesNode(n))
	}
	return m
}

// servicesNode writes a node's services: NAME: COMMAND, or the long form
// NAME: {cmd: COMMAND, ready: {...}} for those with a ready:.
func servicesNode(n *Node) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, sv := range n.Services {
		i := slices.IndexFunc(n.Ready, func(r Ready) bool { return r.Service == sv.Key })
		if i < 0 {
			add(m, sv.Key, str(sv.Value))
			continue
		}
		r := n.Ready[i]
		ready := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		if r.Port != 0 {
			port := str(strconv.Itoa(r.Port))
			port.Tag = ""
			add(ready, "port", port)
		} else {
			add(ready, "cmd", str(r.Cmd))
		}
		if r.Wait != nil {
			add(ready, "wait", str(r.Wait.String()))
		}
		long := &yaml.Node{Kind: yaml.MappingNode}
		add(long, "cmd", str(sv.Value))
		add(long, "ready", ready)
		add(m, sv.Key, long)
	}
	return m
}

func limitsNode(l Limits) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	if l.Pids != 0 {
		add(m, "pids", str(strconv.Itoa(l.Pids)))
	}
	if l.Memory != 0 {
		add(m, "memory", str(formatSize(l.Memory)))
	}
	if l.CPUs != 0 {
		add(m, "cpus", str(strconv.FormatFloat(l.CPUs, 'f', -1, 64)))
	}
	for _, v := range m.Content {
		v.Tag = "" // plain numbers and sizes, as a person writes them
	}
	return m
}

// formatSize writes bytes in the largest power-of-1024 unit that holds
// them whole, as parseSize reads it back.
func formatSize(n int64) string {
	for _, u := range []struct {
		name  string
		bytes int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.bytes == 0 {
			return strconv.FormatInt(n/u.bytes, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func linkNode(l *Link) *yaml.Node {
	ends := flowList([]string{l.Endpoints[0].String(), l.Endpoints[1].String()})
	if l.MTU == 0 && l.Impair.Zero() && l.MACs == [2]string{} && !l.Down {
		return ends
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	add(m, "endpoints", ends)
	if l.MTU != 0 {
		v := str(strconv.Itoa(l.MTU))
		v.Tag = ""
		add(m, "mtu", v)
	}
	if l.MACs != [2]string{} {
		add(m, "mac", flowList(l.MACs[:]))
	}
	if l.Down {
		add(m, "state", str("down"))
	}
	if !l.Impair.Zero() {
		im := l.Impair
		for _, kv := range []struct {
			key string
			set bool
			val string
		}{
			{"rate", im.Rate > 0, FormatRate(im.Rate)},
			{"delay", im.Delay > 0, im.Delay.String()},
			{"jitter", im.Jitter > 0, im.Jitter.String()},
			{"loss", im.Loss > 0, strconv.FormatFloat(im.Loss, 'f', -1, 64) + "%"},
			{"duplicate", im.Duplicate > 0, strconv.FormatFloat(im.Duplicate, 'f', -1, 64) + "%"},
			{"corrupt", im.Corrupt > 0, strconv.FormatFloat(im.Corrupt, 'f', -1, 64) + "%"},
		} {
			if kv.set {
				add(m, kv.key, str(kv.val))
			}
		}
	}
	return m
}
