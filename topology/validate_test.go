package topology

import (
	"strings"
	"testing"
)

// TestValidateBuiltInGo: what netlab turns into root-written paths is
// checked even when a Topology did not come from Load.
func TestValidateBuiltInGo(t *testing.T) {
	good := &Topology{Name: "lab", Nodes: []*Node{
		{Name: "a", Kind: KindRouter, Interfaces: []*Interface{{Name: "eth1"}}},
		{Name: "b", Kind: KindHost, Interfaces: []*Interface{{Name: "eth1"}}},
	}, Links: []*Link{{Endpoints: [2]Endpoint{{"a", "eth1"}, {"b", "eth1"}}}}}
	if err := Validate(good); err != nil {
		t.Fatalf("valid topology: %v", err)
	}
	bad := &Topology{Name: "../lab", Nodes: []*Node{
		{Name: "../../tmp/x", Kind: "vm", Interfaces: []*Interface{{Name: "eth1/x"}},
			Sysctls: []KeyValue{{Key: "net/../../../etc/shadow", Value: "x"}, {Key: "kernel.panic", Value: "1"}},
			Files:   []KeyValue{{Key: "etc/x", Value: "y"}}},
	}, Links: []*Link{{Endpoints: [2]Endpoint{{"ghost", "eth1"}, {"../../tmp/x", "eth1/x"}}}}}
	err := Validate(bad)
	if err == nil {
		t.Fatal("Validate accepted a topology with path names")
	}
	for _, want := range []string{`bad lab name "../lab"`, `bad node name "../../tmp/x"`, `unknown kind "vm"`,
		`bad interface name "eth1/x"`, "sysctl net/../../../etc/shadow", "sysctl kernel.panic", `file "etc/x"`, "link end ghost:eth1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate's errors lack %q:\n%v", want, err)
		}
	}
}
