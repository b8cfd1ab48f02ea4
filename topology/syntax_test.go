package topology

import (
	"strings"
	"testing"
)

// TestSyntaxColumn: a YAML syntax error names the column of what is wrong,
// not only its line.
func TestSyntaxColumn(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"name: x\nnodes:\n  h1: {kind: host\n", "lab.yaml:3:7: syntax error: did not find expected ',' or '}'"},
		{"name: x\nnodes:\n  h1:\n    kind: \"host\n", "lab.yaml:4:11: syntax error: found unexpected end of stream"},
		{"name: x\nnodes:\n  h1:\n    kind: host: router\n", "lab.yaml:4:15: syntax error: mapping values are not allowed"},
		{"name: x\nnodes:\n  h1:\n  kind: host\n   bad: 1\n", "lab.yaml:5:7: syntax error: mapping values are not allowed"},
		{"name: x\nlinks:\n  - [h1:eth1, h2:eth1\n  - [a:b, c:d]\n", "lab.yaml:3:5: syntax error: did not find expected ',' or ']'"},
		{"name: x\nnodes:\n  h1: {kind: @host}\n", "lab.yaml:3:14: syntax error: found character that cannot start any token"},
		{"name: x\nnodes:\n\th1: {}\n", "lab.yaml:3:1: syntax error: found a tab character"},
	} {
		_, err := Parse("lab.yaml", []byte(tt.text))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %s...", tt.text, err, tt.want)
		}
	}
}
