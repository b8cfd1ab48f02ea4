package topology

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// What a containerlab user writes out of habit in a netlab file gets a
// message of its own, saying what netlab does instead, rather than a list
// of valid keys. containerlab's own files are read by topology/clab.

// clabTopKeys are containerlab's top-level keys netlab has no use for.
var clabTopKeys = map[string]string{
	"topology": "it makes this a containerlab file, which netlab reads as one (netlab up, validate, graph and import do, by a top-level topology:), not mixed with netlab's keys; move nodes: and links: out of it to the top level, or the rest into it",
	"mgmt":     "netlab nodes have no management network; leave it out",
	"prefix":   "netlab names namespaces and state after name: alone; leave it out",
}

const kindChoice = "choose a kind: host, router, bridge, frr or bird"

// clabNodeKeys are containerlab's node keys (also under its defaults and
// kinds) that netlab has no use for.
var clabNodeKeys = map[string]string{
	"image":          "netlab runs the host's own software, no images; " + kindChoice + ", and remove image:",
	"cmd":            "netlab nodes run no container command; use exec: for commands run once at up, or services: for long-running ones",
	"entrypoint":     "netlab nodes run no container entrypoint; use exec: for commands run once at up, or services: for long-running ones",
	"ports":          "netlab publishes no ports; reach a node's services with netlab exec or netlab shell, and leave ports: out",
	"startup-config": "netlab reads no startup-config file; write an frr.conf or bird.conf under config: (kind frr or bird), or other files under files:",
	"mgmt-ipv4":      "netlab nodes have no management network; leave it out, or put the address under interfaces:",
	"mgmt-ipv6":      "netlab nodes have no management network; leave it out, or put the address under interfaces:",
}

// clabLinkKeys are containerlab's link keys netlab has no use for; the
// message for type: depends on its value.
func clabLinkKeys(link *yaml.Node) map[string]string {
	if t := MappingValue(link, "type"); t != nil && t.Kind == yaml.ScalarNode && t.Value == "veth" {
		return clabVethLinkKeys
	}
	return clabOtherLinkKeys
}

var (
	clabVethLinkKeys  = map[string]string{"type": "every netlab link is a veth pair; remove type: veth"}
	clabOtherLinkKeys = map[string]string{"type": "netlab links are veth pairs between two nodes, and containerlab's other link types have no counterpart yet; " +
		"remove type: and join two nodes, e.g. endpoints: [r1:eth1, r2:eth1]"}
)

// clabSpecialNodes are the node names containerlab gives a meaning of its
// own in link ends.
var clabSpecialNodes = map[string]string{
	"host":     "containerlab's host: ends, on the host itself, have no counterpart in netlab",
	"mgmt-net": "netlab nodes have no management network",
	"macvlan":  "containerlab's macvlan: ends have no counterpart in netlab",
}

// clabEndpoint is what to write for a containerlab endpoint mapping such
// as {node: r1, interface: eth1}.
func clabEndpoint(e *yaml.Node) string {
	node, iface := MappingValue(e, "node"), MappingValue(e, "interface")
	if node != nil && iface != nil && node.Kind == yaml.ScalarNode && iface.Kind == yaml.ScalarNode &&
		ValidNodeName(node.Value) && ifnameProblem(iface.Value) == "" {
		return node.Value + ":" + iface.Value
	}
	return "r1:eth1"
}

// clabKindHint says what to write instead of one of containerlab's kinds,
// or returns "".
func clabKindHint(kind string) string {
	switch kind {
	case "linux":
		return "containerlab's linux is netlab's host; write kind: host, or leave kind out"
	case "ovs-bridge":
		return "netlab's bridge makes the LAN itself; write kind: bridge"
	}
	for _, p := range clabImageKinds {
		if strings.HasPrefix(kind, p) {
			return "it is a containerlab kind that needs an image, and netlab runs the host's own software, no images; " + kindChoice
		}
	}
	return ""
}

// clabImageKinds are prefixes of containerlab's kinds that run a vendor's image.
var clabImageKinds = []string{
	"nokia_", "srl", "vr-", "cisco_", "juniper_", "crpd", "arista_", "ceos", "sonic", "cvx",
	"ext-container", "k8s-kind", "generic_vm", "fortinet_", "huawei_", "dell_", "mikrotik_",
	"ipinfusion_", "keysight_", "checkpoint_", "6wind_", "aruba_", "paloalto_", "openbsd", "freebsd", "rare",
}
