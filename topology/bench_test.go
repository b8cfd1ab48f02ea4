package topology

import (
	"fmt"
	"strings"
	"testing"
)

// chainText is a topology of n routers in a chain, as scripts/gen-topology.sh writes it.
func chainText(n int) []byte {
	var b strings.Builder
	b.WriteString("name: chain\ndefaults: {kind: router}\nnodes:\n")
	addr := func(i, h int) string {
		v := 10<<24 | 64<<16 | (i*4 + h)
		return fmt.Sprintf("%d.%d.%d.%d", v>>24&255, v>>16&255, v>>8&255, v&255)
	}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  r%d:\n    interfaces:\n", i)
		if i > 1 {
			fmt.Fprintf(&b, "      eth1: [%s/30]\n", addr(i-1, 2))
		}
		if i < n {
			fmt.Fprintf(&b, "      eth2: [%s/30]\n", addr(i, 1))
		}
	}
	b.WriteString("links:\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - [r%d:eth2, r%d:eth1]\n", i, i+1)
	}
	return []byte(b.String())
}

// BenchmarkParse1000 decodes and validates a 1000-node chain.
func BenchmarkParse1000(b *testing.B) {
	data := chainText(1000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("chain.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
