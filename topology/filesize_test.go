package topology

import (
	"strings"
	"testing"
)

// A files: entry too large for one message to a node is refused at its
// line by validation, not at up.
func TestFileTooLarge(t *testing.T) {
	src := "name: big\nnodes:\n  h1:\n    files:\n      /etc/big: \"" + strings.Repeat("x", MaxFileContent+1) + "\"\n"
	_, err := Parse("big.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "big.yaml:5:17: file /etc/big of node h1 is 131073 bytes") {
		t.Errorf("Parse = %v", err)
	}
	ok := "name: big\nnodes:\n  h1:\n    files:\n      /etc/big: \"" + strings.Repeat("x", MaxFileContent) + "\"\n"
	if _, err := Parse("big.yaml", []byte(ok)); err != nil {
		t.Errorf("a file of exactly %d bytes: %v", MaxFileContent, err)
	}
}
