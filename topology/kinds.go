package topology

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Kind is what a node is for. It decides what netlab sets up in it.
type Kind string

const (
	KindHost   Kind = "host"   // an end host: forwarding off
	KindRouter Kind = "router" // IPv4 and IPv6 forwarding on
	KindBridge Kind = "bridge" // a LAN: one bridge device, link ends are its ports
	KindFRR    Kind = "frr"    // a router running FRR daemons from Config
	KindBIRD   Kind = "bird"   // a router running BIRD 2 from Config
)

// Kinds lists every kind, in the order the documentation gives them.
var Kinds = []Kind{KindHost, KindRouter, KindBridge, KindFRR, KindBIRD}

// Routing suites a kind may run (KindFacts.Suite).
const (
	SuiteFRR  = "frr"
	SuiteBIRD = "bird"
)

// KindFacts are what a node's kind says about it before it runs: read by
// the rules here, by netlab (sysctls, wiring, daemons), by check (which
// daemon to ask) and by graph (how to draw it), so that a kind is described
// in one place.
type KindFacts struct {
	Forwards bool   // IPv4 and IPv6 forwarding on
	Bridge   bool   // a LAN: one bridge device whose ports are the link ends; no addresses, no routes
	Suite    string // the routing suite it runs: SuiteFRR, SuiteBIRD or ""
	Daemons  bool   // it takes daemons: and daemon-options: (FRR's daemons)
	// Config is where config: goes in the node, "" when the kind takes none.
	Config string
	// speaks reports whether a node of the kind speaks a routing protocol
	// ("ospf", "bgp"), and when not what to change so that it does.
	speaks func(n *Node, proto string) (bool, string)
}

var kindFacts = map[Kind]KindFacts{
	KindHost:   {speaks: speaksNone},
	KindRouter: {Forwards: true, speaks: speaksNone},
	KindBridge: {Bridge: true, speaks: speaksNone},
	KindFRR:    {Forwards: true, Suite: SuiteFRR, Daemons: true, Config: "/etc/frr/frr.conf", speaks: speaksFRR},
	KindBIRD:   {Forwards: true, Suite: SuiteBIRD, Config: "/etc/bird/bird.conf", speaks: speaksBIRD},
}

// Facts returns what the kind says about a node; an unknown kind has none.
func (k Kind) Facts() KindFacts {
	if f, ok := kindFacts[k]; ok {
		return f
	}
	return KindFacts{speaks: speaksNone}
}

// Known reports whether k is one of Kinds.
func (k Kind) Known() bool { return slices.Contains(Kinds, k) }

// Forwards reports whether nodes of this kind forward packets.
func (k Kind) Forwards() bool { return k.Facts().Forwards }

// protocolDaemons is the FRR daemon that speaks each protocol a check asks about.
var protocolDaemons = map[string]string{"ospf": "ospfd", "bgp": "bgpd"}

func speaksNone(n *Node, proto string) (bool, string) {
	return false, fmt.Sprintf("a node of kind %s, which runs no %s daemon; make it kind frr (daemons: [%s]) or bird",
		n.Kind, strings.ToUpper(proto), protocolDaemons[proto])
}

func speaksFRR(n *Node, proto string) (bool, string) {
	d := protocolDaemons[proto]
	if slices.Contains(n.Daemons, d) {
		return true, ""
	}
	return false, fmt.Sprintf("an FRR router without %s; add %s to its daemons, e.g. daemons: [%s]", d, d, d)
}

func speaksBIRD(n *Node, proto string) (bool, string) {
	if regexp.MustCompile(`(?m)^\s*protocol\s+` + proto + `\b`).MatchString(n.Config) {
		return true, ""
	}
	return false, fmt.Sprintf("a BIRD router whose config has no protocol %s; add one to its config", proto)
}

// The FRR daemons a node of kind frr may run.
var (
	// AlwaysDaemons always run: zebra and staticd, and mgmtd in FRR 9 and
	// later. daemons: may name them, to no effect.
	AlwaysDaemons = []string{"zebra", "staticd", "mgmtd"}
	// FRRDaemons are those daemons: may add.
	FRRDaemons = []string{"bgpd", "ospfd", "ospf6d", "ripd", "ripngd", "isisd", "pimd", "pim6d", "ldpd",
		"nhrpd", "eigrpd", "babeld", "sharpd", "pbrd", "bfdd", "fabricd", "vrrpd", "pathd"}
)
