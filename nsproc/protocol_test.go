package nsproc

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite node/protocol.h from protocol.go")

// protocolHeader is node/protocol.h as protocol.go makes it: a tag per
// field, named T_MESSAGE_FIELD, and the fixed facts.
func protocolHeader() string {
	var b strings.Builder
	b.WriteString("/* Generated from nsproc/protocol.go by\n" +
		" *   go test -tags netlab_protogen ./nsproc -run 'TestProtocolHeader|TestFuzzSeeds' -update\n" +
		" * Do not edit: the tags are protocol.go's. */\n" +
		"#ifndef NETLAB_PROTOCOL_H\n#define NETLAB_PROTOCOL_H\n\n")
	fmt.Fprintf(&b, "#define CONTROL_FD %d\n#define MAX_PACKET %d\n#define MAX_FILES %d\n#define CODE_NO_INTERFACE %d\n",
		controlFD, maxPacket, maxFiles, codeNoInterface)
	fmt.Fprintf(&b, "#define PROTOCOL_VERSION %d\n#define PACKET_MAGIC \"nl\\%03o\\000\"\n", protocolVersion, protocolVersion)
	fmt.Fprintf(&b, "#define ARG_SUPERVISOR %q\n#define ARG_AGENT %q\n#define TITLE_ROOM %d\n#define LOG_DIR %q\n",
		argSupervisor, argAgent, titleRoom, LogDir)
	for _, m := range protocol {
		fmt.Fprintf(&b, "\n/* %s */\n", reflect.TypeOf(m.msg).Name())
		for _, f := range fieldsOf(reflect.TypeOf(m.msg)) {
			fmt.Fprintf(&b, "#define T_%s_%s %d\n", m.name, strings.ToUpper(f.name), f.tag)
		}
	}
	b.WriteString("\n#endif\n")
	return b.String()
}

// TestProtocolHeader: the C side's tags are protocol.go's.
func TestProtocolHeader(t *testing.T) {
	want := protocolHeader()
	if *update {
		if err := os.WriteFile("node/protocol.h", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("node/protocol.h")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("node/protocol.h is not protocol.go's: run go test -tags netlab_protogen ./nsproc -run 'TestProtocolHeader|TestFuzzSeeds' -update")
	}
}

// TestProtocolTags: every tag is used once across all messages, so a
// field read in the wrong message is an unknown tag, never another field.
func TestProtocolTags(t *testing.T) {
	seen := map[uint32]string{}
	for _, m := range protocol {
		typ := reflect.TypeOf(m.msg)
		fields := fieldsOf(typ)
		if len(fields) == 0 {
			t.Errorf("%s has no tagged field", typ.Name())
		}
		for _, f := range fields {
			if f.tag == 0 {
				t.Errorf("%s.%s: tag 0", typ.Name(), f.name)
			}
			if other, ok := seen[f.tag]; ok {
				t.Errorf("tag %d: %s.%s and %s", f.tag, typ.Name(), f.name, other)
			}
			seen[f.tag] = typ.Name() + "." + f.name
		}
	}
}

// fuzzSeeds are valid messages of each kind the node side parses, the
// seed corpus of its fuzz target (node/fuzz): the first byte picks the
// decoder, as fuzz.c reads it.
func fuzzSeeds() map[string][]byte {
	seeds := map[string][]byte{}
	add := func(name string, decoder byte, v any) {
		b, err := marshal(v)
		if err != nil {
			panic(err)
		}
		seeds[name] = append([]byte{decoder}, b...)
	}
	add("mapped", 0, control{Mapped: 2})
	add("begin", 0, control{Begin: &labBegin{ID: 1, UID: 100000, GID: 100000}})
	add("setup", 0, control{Setup: &labSetup{ID: 1, Hide: []string{"/home/u"}, Caps: []string{"max_inotify_instances=256"}, NProc: 2000, Listen: true}})
	add("spawn", 0, control{Spawn: &spawnRequest{ID: 2, Node: "lab/r1", Hostname: "r1", Sysctls: []string{"net.ipv4.ip_forward=1"},
		Layer: []LayerFile{{Path: "frr", Dir: true, Mode: 0o750, UID: 100, GID: 101}, {Path: "frr/frr.conf", Data: []byte("router ospf\n"), Mode: 0o640}},
		Binds: []bindSpec{{Source: "/srv/x", Target: "/data", ReadOnly: true, Tree: true}}}})
	add("held", 0, control{Spawn: &spawnRequest{ID: 4, Node: "lab/r2", Hostname: "r2", Held: true, ClockOffset: -3600e9, Cgroups: 1}})
	add("netlink", 0, control{Netlink: 3})
	add("stop", 0, control{Stop: &nodeOp{ID: 5, Node: "lab/r2"}})
	add("nodenetlink", 0, control{NodeNetlink: &nodeOp{ID: 6, Node: "lab/r2"}})
	add("watch", 0, control{Watch: 7})
	add("detach", 0, control{Detach: true})
	add("exec", 1, nodeRequest{Exec: &execRequest{Argv: []string{"ping", "-c1", "r3"}, Env: []string{"PATH=/bin"}, Dir: "/", PTY: true, Rows: 24, Cols: 80}})
	add("logged", 1, nodeRequest{Exec: &execRequest{Argv: []string{"/bin/sh", "-c", "echo"}, Log: "web", Service: "web"}})
	add("put", 1, nodeRequest{Put: &putRequest{Path: "/etc/motd", Data: []byte{0, 1, 2}, Mode: 0o644, UID: 1, GID: 2}})
	add("services", 1, nodeRequest{Services: true})
	add("sysctls", 1, nodeRequest{Sysctls: []string{"a.b=1", "c/d.e=2"}})
	add("packet", 1, nodeRequest{Packet: "eth1"})
	add("watchnode", 1, nodeRequest{Watch: true})
	add("signal", 2, execEvent{Signal: 2})
	add("ready", 3, readyReport{})
	add("readyerror", 3, readyReport{Error: "mount proc on /proc: mount: permission denied"})
	return seeds
}

// TestFuzzSeeds: node/fuzz/corpus holds fuzzSeeds (-update writes them).
func TestFuzzSeeds(t *testing.T) {
	for name, want := range fuzzSeeds() {
		p := "node/fuzz/corpus/" + name
		if *update {
			if err := os.MkdirAll("node/fuzz/corpus", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := os.ReadFile(p); err != nil || string(got) != string(want) {
			t.Errorf("%s is not protocol.go's message (%v): run go test -tags netlab_protogen ./nsproc -run 'TestProtocolHeader|TestFuzzSeeds' -update", p, err)
		}
	}
}

// FuzzUnmarshal: what a node sends back (any bytes) decodes into a message
// or an error, never a panic, and what decodes encodes back the same.
func FuzzUnmarshal(f *testing.F) {
	for _, b := range fuzzSeeds() {
		f.Add(b[1:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []any{new(execEvent), new(spawnReply), new(servicesReply), new(control), new(nodeRequest), new(watchEvent)} {
			if err := unmarshal(b, v); err != nil {
				continue
			}
			again, err := marshal(v)
			if err != nil {
				t.Fatalf("%T decoded from % x does not encode: %v", v, b, err)
			}
			w := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := unmarshal(again, w); err != nil || !reflect.DeepEqual(v, w) {
				t.Fatalf("%T: % x decoded to %+v, which round-trips to %+v (%v)", v, b, v, w, err)
			}
		}
	})
}
