package topology

import (
	"net/netip"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Host is one machine a lab spans: every host runs the same file and
// brings up the nodes placed on it; a link between nodes of two hosts is
// a VXLAN tunnel between their addresses.
type Host struct {
	Name string
	// Address is the underlay address the other hosts reach it at.
	Address netip.Addr
	// VXLANPort is the UDP port its VXLAN tunnels use; DefaultVXLANPort
	// unless the file says.
	VXLANPort int
	Pos       Pos // where the host's key is
	At        At  `json:"-"` // where address and vxlan_port are
}

// DefaultVXLANPort is IANA's port for VXLAN, Linux's vxlan devices' too
// when told to use the standard one.
const DefaultVXLANPort = 4789

// HostsKubernetes is hosts: as a single value: the hosts are the
// Kubernetes nodes labelled for the lab (see netlab/kube), found when the
// lab comes up, and placement: auto places the nodes on them.
const HostsKubernetes = "kubernetes"

// PlacementAuto is placement: auto: netlab spreads the nodes over the
// hosts (see Place) instead of each node naming its host:.
const PlacementAuto = "auto"

// Spans reports whether the lab is meant to span hosts: it has hosts:,
// listed or from Kubernetes.
func (t *Topology) Spans() bool { return len(t.Hosts) > 0 || t.HostsFrom != "" }

// HostOf returns the host of that name, or nil.
func (t *Topology) HostOf(name string) *Host {
	for _, h := range t.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// hostNameRE is what may name a host: a Kubernetes node's name (a DNS
// subdomain, lowercase), so that --host $(NODE_NAME) names it.
var hostNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)

const hostNameHint = "use lowercase letters, digits, dashes and dots, at most 253 bytes, starting and ending with a letter or digit (as a Kubernetes node's name is)"

// ValidHostName reports whether s may name a host.
func ValidHostName(s string) bool { return len(s) <= 253 && hostNameRE.MatchString(s) }

const hostsExample = "hosts: {a: {address: 198.51.100.1}, b: {address: 198.51.100.2}}"

// hosts reads the top-level hosts: a mapping of host names to {address,
// vxlan_port}, or the single value kubernetes.
func (d *decoder) hosts(p Pair, t *Topology) {
	t.HostsPos = PosOf(p.Key)
	if p.Val.Kind == yaml.ScalarNode && !IsNull(p.Val) {
		if p.Val.Value != HostsKubernetes {
			d.Refuse(PosOf(p.Val), "hosts must be a mapping of host names to their addresses or %s, not %q; write %s, or hosts: %s", HostsKubernetes, p.Val.Value, hostsExample, HostsKubernetes)
			return
		}
		t.HostsFrom = HostsKubernetes
		return
	}
	if !d.Shape(p.Val, yaml.MappingNode, "hosts", hostsExample) {
		if IsNull(p.Val) {
			d.Errorf(PosOf(p.Key), "hosts is empty; list the hosts the lab spans, e.g. %s, or remove it", hostsExample)
		}
		return
	}
	for _, hp := range d.Pairs(p.Val, "host", "under hosts", "rename or remove one of them") {
		h := &Host{Name: hp.Key.Value, Pos: PosOf(hp.Key), VXLANPort: DefaultVXLANPort, At: At{}}
		what := "host " + show(h.Name)
		example := show(h.Name) + ": {address: 198.51.100.1}"
		if !d.Shape(hp.Val, yaml.MappingNode, what, example) {
			if IsNull(hp.Val) {
				d.Errorf(PosOf(hp.Key), "%s has no address; write %s", what, example)
			}
			t.Hosts = append(t.Hosts, h)
			continue
		}
		f := d.Fields(hp.Val, "in "+what, []string{"address", "vxlan_port"}, nil)
		if a, ok := f["address"]; !ok {
			d.Errorf(PosOf(hp.Key), "%s has no address; write %s", what, example)
		} else if s, ok := d.Scalar(a.Val, "address of "+what, "address: 198.51.100.1"); ok {
			h.At["address"] = PosOf(a.Val)
			addr, err := netip.ParseAddr(s)
			switch {
			case err == nil && addr.Zone() == "":
				h.Address = addr.Unmap()
			case validPrefix(s):
				d.Refuse(PosOf(a.Val), "address %q of %s has a prefix length; write the address alone, e.g. address: %s", s, what, netip.MustParsePrefix(s).Addr())
			default:
				d.Refuse(PosOf(a.Val), "address %q of %s is not an IP address; write the address the other hosts reach it at, e.g. address: 198.51.100.1", s, what)
			}
		}
		if q, ok := f["vxlan_port"]; ok {
			h.At["vxlan_port"] = PosOf(q.Val)
			if s, ok := d.Scalar(q.Val, "vxlan_port of "+what, "vxlan_port: 4789"); ok {
				port, err := strconv.Atoi(s)
				if err != nil {
					d.Refuse(PosOf(q.Val), "vxlan_port %q of %s is not a whole number; write a UDP port, e.g. vxlan_port: 4789", s, what)
				} else {
					h.VXLANPort = port
				}
			}
		}
		t.Hosts = append(t.Hosts, h)
	}
}

// placement reads the top-level placement:, which is auto.
func (d *decoder) placement(p Pair, t *Topology) {
	t.PlacementPos = PosOf(p.Key)
	if s, ok := d.Scalar(p.Val, "placement", "placement: auto"); ok {
		if s != PlacementAuto {
			d.Refuse(PosOf(p.Val), "placement %q is not one netlab knows; write placement: auto to spread the nodes over the hosts, or give each node its host:", s)
			return
		}
		t.Placement = s
	}
}
