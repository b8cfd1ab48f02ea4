package topology

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Parse parses a topology file's content; file names it in errors. It
// returns a valid topology, or every problem of the file joined with
// errors.Join, each an *Error.
func Parse(file string, data []byte) (*Topology, error) {
	d := &decoder{file: file, budget: 10*len(data) + 10000, sysctlSeen: sysctlCache{}}
	root := d.document(data)
	if root == nil {
		return nil, joined(d.errs)
	}
	if t := d.resolve(d.topology(root)); t != nil {
		return t, nil
	}
	// The file fails anyway: say now what netlab.Check would say once the
	// rest is fixed, so that every error comes at once.
	return nil, joined(append(d.errs, d.viewErrs...))
}

// The raw types mirror the file as written, with the position of each value
// that validation may have to point at after the merge of defaults.

type rawTopology struct {
	name     string
	defaults *rawNode
	nodes    []*rawNode
	links    []rawLink
	limits   Limits
	checks   []rawCheck
	// nodesLost is set when nodes: could not be read as a mapping, so a
	// node a check names may well be there.
	nodesLost bool
	// endsLost is set when some link end could not be read, so an interface
	// that seems to be on no link may well be on that one.
	endsLost bool
}

type rawNode struct {
	name string
	pos  Pos
	keys map[string]Pos // the keys written for this node, for the merge
	kind Kind
	// addrsLost is set when some address could not be read, so a gateway
	// that seems to be on no connected subnet may well be on its subnet.
	addrsLost bool
	ifaces    []rawIface
	routes    []rawRoute
	sysctls   []KeyValue
	files     []KeyValue
	exec      []string
	execPos   []Pos
	services  []KeyValue
	ready     map[string]Ready // by service
	daemons   []string
	config    string
}

type rawIface struct {
	name  string
	pos   Pos
	addrs []rawAddr
}

type rawAddr struct {
	netip.Prefix
	pos Pos
}

type rawRoute struct {
	Route
	viaPos Pos
}

type rawLink struct {
	ends   []rawEnd
	mtu    int
	impair Impairment
	pos    Pos
}

type rawEnd struct {
	Endpoint
	pos Pos
}

var (
	nodeKeys     = []string{"kind", "interfaces", "routes", "sysctls", "files", "exec", "services", "daemons", "config"}
	defaultsKeys = slices.DeleteFunc(slices.Clone(nodeKeys), func(k string) bool { return k == "interfaces" })

	// zebra and staticd (and mgmtd in FRR 9 and later) always run.
	alwaysDaemons = []string{"zebra", "staticd", "mgmtd"}
	frrDaemons    = []string{"bgpd", "ospfd", "ospf6d", "ripd", "ripngd", "isisd", "pimd", "pim6d", "ldpd",
		"nhrpd", "eigrpd", "babeld", "sharpd", "pbrd", "bfdd", "fabricd", "vrrpd", "pathd"}

	nameRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	nameHint = "use lowercase letters, digits and dashes, at most 32 bytes, starting and ending with a letter or digit"
)

type decoder struct {
	file   string
	errs   []*Error
	budget int // values the walk may still visit

	sysctlSeen sysctlCache
	// viewErrs are files outside the node's private view, reported only
	// along with other errors (see viewError).
	viewErrs []*Error
}

func (d *decoder) errorf(at Pos, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

func pos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// document returns the file's single YAML document, or nil when there is
// nothing to walk.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			d.errorf(Pos{1, 1}, "empty topology file; write at least name: and nodes:")
		} else {
			d.errs = append(d.errs, syntaxError(d.file, data, err))
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.errorf(pos(&next), "a second YAML document; keep one topology per file and remove this --- and what follows")
	case err != io.EOF:
		d.errs = append(d.errs, syntaxError(d.file, data, err))
	}
	if len(doc.Content) == 0 || isNull(deref(doc.Content[0])) {
		d.errorf(Pos{1, 1}, "empty topology file; write at least name: and nodes:")
		return nil
	}
	return deref(doc.Content[0])
}

// deref follows YAML aliases to the value they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "empty"
	case len(n.Value) > 40 || strings.Contains(n.Value, "\n"):
		return "a long text"
	}
	return strconv.Quote(n.Value)
}

// shape reports whether n is a mapping or a list as wanted. An empty value
// (`key:` with nothing after it) is an empty mapping or list: false, but no
// error.
func (d *decoder) shape(n *yaml.Node, want yaml.Kind, what, example string) bool {
	if n.Kind == want {
		return true
	}
	if !isNull(n) {
		noun := map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list"}[want]
		d.errorf(pos(n), "%s must be %s, not %s; write %s", what, noun, describe(n), example)
	}
	return false
}

func (d *decoder) scalar(n *yaml.Node, what, example string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(pos(n), "%s must be a single value, not %s; write %s", what, describe(n), example)
		return "", false
	}
	return n.Value, true
}

// spend charges the walk for the children of n. Aliases let a small file
// stand for a huge tree, so the walk stops after visiting ten times more
// values than the file could hold without them.
func (d *decoder) spend(n *yaml.Node) bool {
	d.budget -= len(n.Content)
	if d.budget < 0 && d.budget+len(n.Content) >= 0 {
		d.errorf(pos(n), "the aliases in this file expand to too many values; write the values out, or share them through defaults")
	}
	return d.budget >= 0
}

func (d *decoder) items(n *yaml.Node) []*yaml.Node {
	if !d.spend(n) {
		return nil
	}
	all := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		all[i] = deref(c)
	}
	return all
}

type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries. yaml.v3 keeps duplicate keys in a
// yaml.Node, so they are reported here, and only the first is kept.
func (d *decoder) pairs(m *yaml.Node, noun, where, hint string) []pair {
	if !d.spend(m) {
		return nil
	}
	first := map[string]int{}
	var all []pair
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(pos(k), "a %s must be a name, not %s; write name: value", noun, describe(k))
			continue
		}
		if line, ok := first[k.Value]; ok {
			d.errorf(pos(k), "duplicate %s %q %s (first at line %d); %s", noun, k.Value, where, line, hint)
			continue
		}
		first[k.Value] = k.Line
		all = append(all, pair{k, v})
	}
	return all
}

// fields returns the entries of a mapping with a fixed set of keys.
func (d *decoder) fields(m *yaml.Node, where string, valid []string) map[string]pair {
	return d.fieldsHinted(m, where, valid, nil)
}

// fieldsHinted is fields where some unknown keys, such as containerlab's,
// get a message of their own: what netlab does instead, after ": ".
func (d *decoder) fieldsHinted(m *yaml.Node, where string, valid []string, hints map[string]string) map[string]pair {
	known := map[string]pair{}
	for _, p := range d.pairs(m, "key", where, "keep only one") {
		if !slices.Contains(valid, p.key.Value) {
			if hint, ok := hints[p.key.Value]; ok {
				d.errorf(pos(p.key), "unknown key %q %s: %s", p.key.Value, where, hint)
			} else {
				d.errorf(pos(p.key), "unknown key %q %s; valid keys are %s", p.key.Value, where, strings.Join(valid, ", "))
			}
			continue
		}
		known[p.key.Value] = p
	}
	return known
}

func (d *decoder) topology(root *yaml.Node) *rawTopology {
	t := &rawTopology{defaults: &rawNode{}}
	if !d.shape(root, yaml.MappingNode, "a topology", "name:, nodes: and links: at the top level") {
		return t
	}
	f := d.fieldsHinted(root, "at the top level", []string{"name", "defaults", "nodes", "links", "limits", "checks"}, clabTopKeys)
	if p, ok := f["name"]; !ok {
		d.errorf(pos(root), `missing key "name"; add the lab's name at the top level, e.g. name: triangle`)
	} else if name, ok := d.scalar(p.val, "name", "name: triangle"); ok {
		if !validName(name) {
			d.errorf(pos(p.val), "bad lab name %q; %s", name, nameHint)
		}
		t.name = name
	}
	if p, ok := f["defaults"]; ok {
		t.defaults = d.node(p.val, "defaults", "defaults: {kind: router}", defaultsKeys)
	}
	if p, ok := f["nodes"]; !ok {
		if !hasKey(root, "topology") { // its own error says to move nodes: out of it
			d.errorf(pos(root), `missing key "nodes"; add nodes: with at least one node, e.g. nodes: {h1: {}}`)
		}
		t.nodesLost = true
	} else {
		isMap := d.shape(p.val, yaml.MappingNode, "nodes", "nodes: {r1: {kind: router}}")
		t.nodesLost = !isMap
		if isMap {
			for _, np := range d.pairs(p.val, "node", "under nodes", "rename or remove one of them") {
				name := np.key.Value
				label := "node " + name
				if !validName(name) {
					d.errorf(pos(np.key), "bad node name %q; %s", name, nameHint)
					label = "node " + strconv.Quote(name)
				}
				n := d.node(np.val, label, show(name)+": {kind: router}, or "+show(name)+": alone for a host", nodeKeys)
				n.name, n.pos = name, pos(np.key)
				t.nodes = append(t.nodes, n)
			}
		}
		if len(t.nodes) == 0 && (isMap || isNull(p.val)) {
			d.errorf(pos(p.key), "no nodes; add at least one node under nodes:, e.g. h1: {}")
		}
	}
	if p, ok := f["links"]; ok {
		if d.shape(p.val, yaml.SequenceNode, "links", "links: [[r1:eth1, r2:eth1]]") {
			for i, l := range d.items(p.val) {
				t.links = append(t.links, d.link(l, i+1, &t.endsLost))
			}
		} else {
			t.endsLost = !isNull(p.val)
		}
	}
	if p, ok := f["limits"]; ok {
		t.limits = d.limits(p)
	}
	if p, ok := f["checks"]; ok {
		t.checks = d.checks(p)
	}
	return t
}

func validName(s string) bool { return len(s) <= 32 && nameRE.MatchString(s) }

func (d *decoder) node(v *yaml.Node, label, example string, valid []string) *rawNode {
	n := &rawNode{keys: map[string]Pos{}}
	if !d.shape(v, yaml.MappingNode, label, example) {
		return n
	}
	f := d.fieldsHinted(v, "in "+label, valid, clabNodeKeys)
	for _, k := range valid {
		p, ok := f[k]
		if !ok {
			continue
		}
		n.keys[k] = pos(p.key)
		switch k {
		case "kind":
			if s, ok := d.scalar(p.val, "kind of "+label, "kind: router"); ok {
				n.kind = Kind(s)
				if !slices.Contains(Kinds, n.kind) {
					if hint := clabKindHint(s); hint != "" {
						d.errorf(pos(p.val), "unknown kind %q of %s: %s", s, label, hint)
					} else {
						d.errorf(pos(p.val), "unknown kind %q of %s; valid kinds are %s", s, label, joinKinds())
					}
				}
			}
		case "interfaces":
			before := len(d.errs)
			n.ifaces = d.interfaces(p.val, label)
			n.addrsLost = len(d.errs) > before
		case "routes":
			if d.shape(p.val, yaml.SequenceNode, "routes of "+label, "routes: [{to: 10.0.0.0/8, via: 10.0.12.2}]") {
				for i, r := range d.items(p.val) {
					if route, ok := d.route(r, fmt.Sprintf("route %d of %s", i+1, label)); ok {
						n.routes = append(n.routes, route)
					}
				}
			}
		case "sysctls":
			n.sysctls = d.sysctls(p.val, label)
		case "files":
			n.files = d.files(p.val, label)
		case "exec":
			n.exec, n.execPos = d.exec(p.val, label)
		case "services":
			n.services, n.ready = d.services(p.val, label)
		case "daemons":
			n.daemons = d.daemons(p.val, label)
		case "config":
			n.config, _ = d.scalar(p.val, "config of "+label, "config: | and the configuration on the lines below")
		}
	}
	return n
}

func joinKinds() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func (d *decoder) interfaces(v *yaml.Node, label string) []rawIface {
	if !d.shape(v, yaml.MappingNode, "interfaces of "+label, "interfaces: {eth1: [10.0.12.1/24]}") {
		return nil
	}
	var all []rawIface
	for _, p := range d.pairs(v, "interface", "in "+label, "merge their addresses into one list") {
		name := p.key.Value
		if why := ifnameProblem(name); why != "" {
			d.errorf(pos(p.key), "bad interface name %q of %s: %s; %s", name, label, why, ifnameHint)
			continue
		}
		iface := rawIface{name: name, pos: pos(p.key)}
		where := label + " " + name
		if d.shape(p.val, yaml.SequenceNode, "addresses of "+where, name+": [10.0.12.1/24]") {
			for _, a := range d.items(p.val) {
				if prefix, ok := d.address(a, where); ok {
					iface.addrs = append(iface.addrs, rawAddr{prefix, pos(a)})
				}
			}
		}
		all = append(all, iface)
	}
	return all
}

const ifnameHint = `name it with at most 15 bytes and no "/", ":" or spaces, e.g. eth1`

// ifnameProblem says why the kernel would refuse name as an interface name
// (dev_valid_name), or returns "".
func ifnameProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case len(name) > 15:
		return fmt.Sprintf("it is %d bytes long, over the kernel's limit of 15", len(name))
	case name == "." || name == "..":
		return "it is a path element"
	case strings.ContainsAny(name, "/:"):
		return fmt.Sprintf("it contains %q", name[strings.IndexAny(name, "/:")])
	case strings.ContainsFunc(name, unicode.IsSpace):
		return "it contains white space"
	case strings.IndexByte(name, 0xa0) >= 0:
		// dev_valid_name's isspace() is byte by byte, and Latin-1's.
		return "it contains the byte 0xa0, which the kernel takes for a space"
	}
	if why := controlProblem(name); why != "" {
		return why
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !strconv.IsPrint(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fmt.Sprintf("it contains %q, which does not print", r)
	}
	return ""
}

func (d *decoder) address(n *yaml.Node, where string) (netip.Prefix, bool) {
	s, ok := d.scalar(n, "an address of "+where, "10.0.12.1/24")
	if !ok {
		return netip.Prefix{}, false
	}
	if addr, err := netip.ParseAddr(s); err == nil && addr.Zone() == "" {
		bits := 24
		if addr.Is6() {
			bits = 64
		}
		d.errorf(pos(n), "address %s of %s has no prefix length; write %s/%d", s, where, s, bits)
		return netip.Prefix{}, false
	}
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		d.errorf(pos(n), "bad address %q of %s; write an address with its prefix length, e.g. 10.0.12.1/24 or 2001:db8:12::1/64", s, where)
		return netip.Prefix{}, false
	}
	if why := loopbackProblem(prefix); why != "" {
		d.errorf(pos(n), "address %s of %s %s", prefix, where, why)
		return netip.Prefix{}, false
	}
	return prefix, true
}

// loopbackProblem says why an interface cannot take an address of the
// loopback range, or returns "". The kernel refuses ::1 on any interface
// and a second 127.0.0.1/8 on lo.
func loopbackProblem(p netip.Prefix) string {
	if !p.Addr().IsLoopback() {
		return ""
	}
	example := "10.255.0.1/32"
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		example = "2001:db8:ff::1/128"
	}
	return "is a loopback address: every node's lo already has 127.0.0.1/8 and ::1; use another address such as " + example
}

func (d *decoder) route(v *yaml.Node, what string) (rawRoute, bool) {
	const example = "{to: 10.0.0.0/8, via: 10.0.12.2}"
	r := rawRoute{Route: Route{Pos: pos(v)}}
	if !d.shape(v, yaml.MappingNode, what, example) {
		if isNull(v) {
			d.errorf(pos(v), "%s is empty; write %s", what, example)
		}
		return r, false
	}
	f := d.fields(v, "in "+what, []string{"to", "via"})
	to, hasTo := f["to"]
	via, hasVia := f["via"]
	for _, k := range []string{"to", "via"} {
		if _, ok := f[k]; !ok {
			d.errorf(pos(v), "%s has no %q; write %s", what, k, example)
		}
	}
	if !hasTo || !hasVia {
		return r, false
	}
	viaOK := false
	if s, ok := d.scalar(via.val, "via of "+what, "via: 10.0.12.2"); ok {
		r.viaPos = pos(via.val)
		addr, err := netip.ParseAddr(s)
		switch {
		case err == nil && addr.Zone() == "":
			r.Via, viaOK = addr, true
		case validPrefix(s):
			d.errorf(pos(via.val), "gateway %q of %s has a prefix length; write the address alone, e.g. %s", s, what, netip.MustParsePrefix(s).Addr())
		default:
			d.errorf(pos(via.val), "bad gateway %q of %s; write the address of a neighbour, e.g. 10.0.12.2", s, what)
		}
	}
	s, ok := d.scalar(to.val, "to of "+what, "to: 10.0.0.0/8")
	if !ok {
		return r, false
	}
	switch {
	case s == "default":
		if !viaOK {
			return r, false
		}
		r.To = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if r.Via.Is6() {
			r.To = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
	default:
		dest, _, masked, ok := destination(s)
		switch {
		case !ok:
			d.errorf(pos(to.val), "bad destination %q of %s; write a prefix such as 10.0.0.0/8, an address, or default", s, what)
			return r, false
		case masked.IsValid():
			d.errorf(pos(to.val), "destination %s of %s has host bits set; write %s", s, what, masked)
			return r, false
		}
		r.To = dest
	}
	if viaOK && r.To.Addr().Is4() != r.Via.Is4() {
		d.errorf(r.viaPos, "%s goes to %s via %s, mixing IPv4 and IPv6; use a gateway of the destination's family", what, r.To, r.Via)
		return r, false
	}
	return r, viaOK
}

// validPrefix reports whether s is a prefix (which netip never gives a
// zone).
func validPrefix(s string) bool {
	_, err := netip.ParsePrefix(s)
	return err == nil
}

// destination reads a route destination other than default: a prefix
// without host bits, or an address without a zone, a host route (addr).
// A prefix with host bits gives masked, what to write instead: the kernel
// refuses such a route ("invalid prefix for given prefix length"). ok is
// false for anything else.
func destination(s string) (to netip.Prefix, addr bool, masked netip.Prefix, ok bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			return to, false, masked, false
		case p.Masked() != p:
			return to, false, p.Masked(), true
		}
		return p, false, masked, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return to, false, masked, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true, masked, true
}

func (d *decoder) sysctls(v *yaml.Node, label string) []KeyValue {
	if !d.shape(v, yaml.MappingNode, "sysctls of "+label, "sysctls: {net.ipv4.ip_forward: 1}") {
		return nil
	}
	var all []KeyValue
	for _, p := range d.pairs(v, "sysctl", "in "+label, "keep only one") {
		key := p.key.Value
		if why := d.sysctlSeen.problem(key); why != "" {
			d.errorf(pos(p.key), "sysctl %q of %s %s", key, label, why)
			continue
		}
		val, ok := d.scalar(p.val, "sysctl "+key+" of "+label, key+": 1")
		if ok && val == "" {
			d.errorf(pos(p.val), "sysctl %s of %s has an empty value; write a value, e.g. %s: 1", key, label, key)
			continue
		}
		if ok {
			all = append(all, KeyValue{Key: key, Value: val, Pos: pos(p.key)})
		}
	}
	return all
}

// sysctlProblem says what is wrong with a sysctl key, or returns "". Only
// net.* keys belong to a node: the others are the host's. Keys are written
// with dots, or with slashes when a part holds a dot (net/ipv4/conf/eth1.10/rp_filter).
//
// A key that names a file under /proc/sys on this machine must name a
// writable one: nodes see the same net.* files as the host, bar those of
// their own interfaces. Keys the host lacks (an interface's, or a module's
// not loaded here) are left for up to try.
func sysctlProblem(key string) string {
	sep := "."
	if strings.Contains(key, "/") {
		sep = "/"
	}
	parts := strings.Split(key, sep)
	if parts[0] != "net" {
		return "is outside net.*; only the network namespace is the node's own, so set net.* keys such as net.ipv4.ip_forward"
	}
	if len(parts) < 2 || !printable(key) || slices.ContainsFunc(parts, func(p string) bool {
		return p == "" || p == "." || p == ".." || strings.ContainsFunc(p, unicode.IsSpace)
	}) {
		return "is malformed; separate its parts with single dots, or slashes, e.g. net.ipv4.conf.all.rp_filter"
	}
	return sysctlFileProblem(procSys + "/" + strings.Join(parts, "/"))
}

// procSys is where sysctlProblem looks keys up; tests point it elsewhere.
var procSys = "/proc/sys"

// sysctlFileProblem looks at the file of a sysctl key.
func sysctlFileProblem(file string) string {
	st, err := os.Stat(file)
	switch {
	case err != nil:
		return ""
	case st.IsDir():
		return "is a directory of sysctls, not one; name a key inside it, e.g. net.ipv4.conf.all.forwarding"
	case st.Mode().Perm()&0o222 == 0:
		return "is a read-only sysctl; it cannot be set, so remove it"
	}
	return ""
}

// sysctlCache remembers sysctlProblem's answers for one topology, so that
// a key every node sets costs one stat.
type sysctlCache map[string]string

func (c sysctlCache) problem(key string) string {
	why, ok := c[key]
	if !ok {
		why = sysctlProblem(key)
		c[key] = why
	}
	return why
}

func (d *decoder) files(v *yaml.Node, label string) []KeyValue {
	if !d.shape(v, yaml.MappingNode, "files of "+label, `files: {/etc/motd: "hello\n"}`) {
		return nil
	}
	var all []KeyValue
	for _, p := range d.pairs(v, "file", "in "+label, "keep only one") {
		// A bad path does not hide what is wrong with the content, nor
		// the other way round: both are reported.
		name := p.key.Value
		pathOK := true
		if why := filePathProblem(name); why != "" {
			d.errorf(pos(p.key), "file path %q of %s %s", name, label, why)
			pathOK = false
		} else if !InPrivateView(name) {
			d.viewErrs = append(d.viewErrs, viewError(d.file, pos(p.key), name, label))
		}
		if isNull(p.val) || p.val.Kind == yaml.ScalarNode && p.val.Value == "" {
			d.errorf(pos(p.val), `empty file %s of %s; write its content, e.g. "hello\n", or remove it`, show(name), label)
			continue
		}
		content, ok := d.scalar(p.val, "file "+show(name)+" of "+label, show(name)+`: "hello\n"`)
		if ok && len(content) > MaxFileContent {
			d.errorf(pos(p.val), "file %s of %s is %d bytes; files: are for configuration, at most %d bytes each", show(name), label, len(content), MaxFileContent)
			continue
		}
		if ok && pathOK {
			all = append(all, KeyValue{Key: name, Value: content, Pos: pos(p.key)})
		}
	}
	return all
}

// filePathProblem says what is wrong with the path of a file in `files:`,
// or returns "".
func filePathProblem(name string) string {
	switch why := controlProblem(name); {
	case why != "":
		return "cannot be created: " + why + `; write the path in printable characters, e.g. /etc/motd`
	case !strings.HasPrefix(name, "/"):
		return "is relative; write it from the root, e.g. " + show(path.Clean("/"+name))
	case name == "/":
		return "is the root directory; write the path of a file, e.g. /etc/motd"
	case path.Clean(name) != name:
		return "is not clean; write " + show(path.Clean(name))
	}
	return ""
}

func (d *decoder) exec(v *yaml.Node, label string) ([]string, []Pos) {
	if !d.shape(v, yaml.SequenceNode, "exec of "+label, `exec: ["echo ready"]`) {
		return nil, nil
	}
	var all []string
	var at []Pos
	for _, c := range d.items(v) {
		cmd, ok := d.scalar(c, "a command in exec of "+label, `"echo ready", in quotes if it holds ": "`)
		if ok && strings.TrimSpace(cmd) == "" {
			d.errorf(pos(c), `empty command in exec of %s; write a command line, e.g. "echo ready", or remove it`, label)
			continue
		}
		if ok {
			all = append(all, cmd)
			at = append(at, pos(c))
		}
	}
	return all, at
}

// MaxServiceName is the longest name a service may have, in bytes: it names
// the service's log file.
const MaxServiceName = 32

var serviceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// serviceNameProblem says what is wrong with the name of a service, or
// returns "".
func serviceNameProblem(name string) string {
	switch {
	case len(name) > MaxServiceName:
		return fmt.Sprintf("is %d bytes long, over %d", len(name), MaxServiceName)
	case !serviceNameRE.MatchString(name):
		return "is not a plain name"
	}
	return ""
}

const serviceNameHint = `use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, at most 32 bytes, e.g. web`

const serviceExample = `web: "python3 -m http.server 8080"`

const readyExample = `web: {cmd: "python3 -m http.server 80", ready: {port: 80}}`

// services reads a node's services: NAME: COMMAND, or NAME: {cmd: COMMAND,
// ready: {port: N | cmd: COMMAND, wait: D}}.
func (d *decoder) services(v *yaml.Node, label string) ([]KeyValue, map[string]Ready) {
	if !d.shape(v, yaml.MappingNode, "services of "+label, "services: {"+serviceExample+"}") {
		return nil, nil
	}
	var all []KeyValue
	ready := map[string]Ready{}
	for _, p := range d.pairs(v, "service", "in "+label, "rename or remove one of them") {
		name := p.key.Value
		nameOK := true
		if why := serviceNameProblem(name); why != "" {
			d.errorf(pos(p.key), "service name %q of %s %s; %s", name, label, why, serviceNameHint)
			nameOK = false
		}
		what := "service " + show(name) + " of " + label
		cmdNode := p.val
		if p.val.Kind == yaml.MappingNode {
			f := d.fields(p.val, "in "+what, []string{"cmd", "ready"})
			c, ok := f["cmd"]
			if !ok {
				d.errorf(pos(p.val), "%s has no cmd:; write the command line to run, e.g. %s", what, readyExample)
				continue
			}
			cmdNode = c.val
			if r, ok := f["ready"]; ok {
				if rd, ok := d.ready(r.val, name, what); ok {
					ready[name] = rd
				}
			}
		}
		if isNull(cmdNode) || cmdNode.Kind == yaml.ScalarNode && strings.TrimSpace(cmdNode.Value) == "" {
			d.errorf(pos(cmdNode), "empty command of %s; write the command line to run, e.g. %s, or remove it", what, serviceExample)
			continue
		}
		cmd, ok := d.scalar(cmdNode, "the command of "+what, `one command line, e.g. `+serviceExample+`, in quotes if it holds ": "`)
		if ok && nameOK {
			all = append(all, KeyValue{Key: name, Value: cmd, Pos: pos(p.key)})
		}
	}
	return all, ready
}

// ready reads when service name is ready: {port: N} or {cmd: COMMAND},
// and wait: D.
func (d *decoder) ready(v *yaml.Node, name, what string) (Ready, bool) {
	what = "ready of " + what
	if !d.shape(v, yaml.MappingNode, what, readyExample) {
		if isNull(v) {
			d.errorf(pos(v), "empty %s; write when it is ready, e.g. %s", what, readyExample)
		}
		return Ready{}, false
	}
	f := d.fields(v, "in "+what, []string{"port", "cmd", "wait"})
	r := Ready{Service: name, Pos: pos(v)}
	port, hasPort := f["port"]
	cmd, hasCmd := f["cmd"]
	ok := true
	switch {
	case hasPort && hasCmd:
		d.errorf(pos(cmd.key), "%s gives both port: and cmd:; keep one", what)
		ok = false
	case hasPort:
		s, good := d.scalar(port.val, "port of "+what, "port: 80")
		n, why := wholeNumber(s, 1, 65535)
		if good && why != "" {
			d.errorf(pos(port.val), "port %s of %s %s; write a TCP port from 1 to 65535, e.g. port: 80", show(s), what, why)
		}
		r.Port, ok = n, good && why == ""
	case hasCmd:
		s, good := d.scalar(cmd.val, "cmd of "+what, `cmd: "test -S /run/app.sock"`)
		if good && strings.TrimSpace(s) == "" {
			d.errorf(pos(cmd.val), "empty cmd of %s; write a command that exits 0 once the service is ready, or use port:", what)
			good = false
		}
		r.Cmd, ok = s, good
	default:
		d.errorf(pos(v), "%s says nothing; write port: N (a TCP port it listens on) or cmd: COMMAND (exits 0 once it is ready)", what)
		ok = false
	}
	if w, has := f["wait"]; has {
		if dur, good := d.wait(w.val, what); good {
			r.Wait = &dur
		} else {
			ok = false
		}
	}
	return r, ok
}

func (d *decoder) daemons(v *yaml.Node, label string) []string {
	if !d.shape(v, yaml.SequenceNode, "daemons of "+label, "daemons: [bgpd, ospfd]") {
		return nil
	}
	var all []string
	for _, c := range d.items(v) {
		name, ok := d.scalar(c, "a daemon of "+label, "bgpd")
		switch {
		case !ok || slices.Contains(alwaysDaemons, name):
		case !slices.Contains(frrDaemons, name):
			d.errorf(pos(c), "unknown FRR daemon %q of %s; valid daemons are %s (zebra and staticd always run)", name, label, strings.Join(frrDaemons, ", "))
		case slices.Contains(all, name):
			d.errorf(pos(c), "daemon %s of %s is listed twice; list it once", name, label)
		default:
			all = append(all, name)
		}
	}
	return all
}

func (d *decoder) link(v *yaml.Node, i int, endsLost *bool) rawLink {
	const example = "[r1:eth1, r2:eth1], or {endpoints: [r1:eth1, r2:eth1], mtu: 9000}"
	what := fmt.Sprintf("link %d", i)
	l := rawLink{pos: pos(v)}
	ends := v
	switch v.Kind {
	case yaml.SequenceNode:
	case yaml.MappingNode:
		f := d.fieldsHinted(v, "in "+what, append([]string{"endpoints", "mtu"}, impairmentKeys...), clabLinkKeys(v))
		if p, ok := f["mtu"]; ok {
			l.mtu = d.mtu(p.val, what)
		}
		l.impair = d.impairment(f, what)
		p, ok := f["endpoints"]
		if !ok {
			d.errorf(pos(v), `%s has no "endpoints"; write endpoints: [r1:eth1, r2:eth1]`, what)
			*endsLost = true
			return l
		}
		ends = p.val
		if !d.shape(ends, yaml.SequenceNode, "endpoints of "+what, "endpoints: [r1:eth1, r2:eth1]") {
			if isNull(ends) {
				d.errorf(pos(p.key), "endpoints of %s is empty; write endpoints: [r1:eth1, r2:eth1]", what)
			}
			*endsLost = true
			return l
		}
	default:
		d.errorf(pos(v), "%s must be a list or a mapping, not %s; write %s", what, describe(v), example)
		*endsLost = true
		return l
	}
	for _, e := range d.items(ends) {
		if e.Kind == yaml.MappingNode && hasKey(e, "node") {
			d.errorf(pos(e), "an end of %s is a mapping, as containerlab's endpoints are; write it as NODE:IFNAME, e.g. %s", what, clabEndpoint(e))
			*endsLost = true
			continue
		}
		s, ok := d.scalar(e, "an end of "+what, "NODE:IFNAME, e.g. r1:eth1, with no space after the colon")
		if !ok {
			*endsLost = true
			continue
		}
		node, ifname, found := strings.Cut(s, ":")
		if !found || node == "" || ifname == "" {
			d.errorf(pos(e), "malformed link end %q; write NODE:IFNAME, e.g. r1:eth1", s)
			*endsLost = true
			continue
		}
		if why := ifnameProblem(ifname); why != "" {
			d.errorf(pos(e), "bad interface name %q in link end %q: %s; %s", ifname, s, why, ifnameHint)
			continue
		}
		l.ends = append(l.ends, rawEnd{Endpoint{Node: node, Interface: ifname}, pos(e)})
	}
	switch n := len(ends.Content); {
	case n < 2:
		d.errorf(pos(ends), "%s has %s; a link joins two interfaces, so write %s", what, []string{"no ends", "only one end"}[n], example)
	case n > 2:
		d.errorf(pos(ends), "%s has %d ends; a link joins two interfaces, so to join more add a node of kind bridge and link each of them to it", what, n)
	}
	return l
}

func (d *decoder) mtu(v *yaml.Node, what string) int {
	s, ok := d.scalar(v, "mtu of "+what, "mtu: 9000")
	if !ok {
		return 0
	}
	mtu, err := strconv.ParseInt(s, 0, 64)
	switch {
	case err != nil:
		d.errorf(pos(v), "mtu %q of %s is not a whole number; write e.g. mtu: 9000", s, what)
	case mtu < 68 || mtu > 65535:
		d.errorf(pos(v), "mtu %d of %s is out of range; write a value from 68 to 65535", mtu, what)
	default:
		return int(mtu)
	}
	return 0
}
