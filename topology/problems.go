package topology

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What is wrong with single values the rules judge: an interface name, a
// sysctl key, the path of a file under files:.

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
