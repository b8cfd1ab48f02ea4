package clab

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// expand replaces environment variables in s as containerlab does (its
// envsubst, restricted so that it replaces only what is set): $VAR and
// ${VAR} when VAR is set, ${VAR:-word} and ${VAR:=word} (word when VAR is
// unset or empty), ${VAR-word} and ${VAR=word} (when unset), ${VAR:+word}
// (word when set and not empty), ${VAR+word} (when set), and $$ for a
// single $. A variable that is unset and has no default stays as written,
// so a node's shell still sees $HOSTNAME; $1 and the like are never
// variables.
func expand(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch c := s[i+1]; {
		case c == '$':
			b.WriteByte('$')
			i += 2
		case c == '{':
			end := closingBrace(s, i+2)
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			b.WriteString(expandBraced(s[i:end+1], s[i+2:end], lookup))
			i = end + 1
		case isNameStart(c):
			j := i + 1
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			if v, ok := lookup(s[i+1 : j]); ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i:j])
			}
			i = j
		default:
			b.WriteByte('$')
			i++
		}
	}
	return b.String()
}

// closingBrace is the index of the } that closes a ${ whose inside starts
// at from, nested ${...} counted, or -1.
func closingBrace(s string, from int) int {
	depth := 1
	for i := from; i < len(s); i++ {
		switch {
		case s[i] == '{' && i > 0 && s[i-1] == '$':
			depth++
		case s[i] == '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// expandBraced is ${inner} (written as whole) expanded.
func expandBraced(whole, inner string, lookup func(string) (string, bool)) string {
	n := 0
	for n < len(inner) && (n == 0 && isNameStart(inner[n]) || n > 0 && isNameChar(inner[n])) {
		n++
	}
	if n == 0 {
		return whole
	}
	name, op := inner[:n], inner[n:]
	v, set := lookup(name)
	if op == "" {
		if set {
			return v
		}
		return whole
	}
	for _, form := range []string{":-", ":=", ":+", "-", "=", "+"} {
		if !strings.HasPrefix(op, form) {
			continue
		}
		word := expand(op[len(form):], lookup)
		empty := strings.HasPrefix(form, ":") && v == ""
		switch form[len(form)-1] {
		case '-', '=':
			if !set || empty {
				return word
			}
			return v
		case '+':
			if set && !empty {
				return word
			}
			return ""
		}
	}
	return whole
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }

// expandTree expands every scalar of a YAML document, keys included, in
// place. containerlab expands the file's text before it reads it; here each
// value is expanded once read, so that every position stays that of the
// file as written (what differs: a variable cannot add YAML structure).
func expandTree(n *yaml.Node, lookup func(string) (string, bool), seen map[*yaml.Node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		if v := expand(n.Value, lookup); v != n.Value {
			n.Value = v
			n.Tag = "!!str"
		}
	}
	for _, c := range n.Content {
		expandTree(c, lookup, seen)
	}
}

// magic replaces containerlab's magic variables in s for node (none when
// node is ""): the lab's directory as containerlab would make it beside
// the file (clab-NAME), its name, and the node's directory and name.
type magic struct {
	labDir, labName string
}

func (m magic) replace(s, node string) string {
	pairs := []string{"__clabDir__", m.labDir, "__clabLabName__", m.labName}
	if node != "" {
		pairs = append(pairs, "__clabNodeDir__", m.labDir+"/"+node, "__clabNodeName__", node)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// splitWords splits a command line into words as containerlab does before
// it runs a command without a shell (google/shlex): words apart at white
// space, '...' literal, "..." with \" \\ \$ \` escapes, \ escaping the next
// character elsewhere, and # at the start of a word starting a comment.
func splitWords(s string) ([]string, string) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, "has a ' that is not closed"
			}
			w.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				w.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, `has a " that is not closed`
			}
			inWord = true
		case c == '\\':
			if i+1 == len(s) {
				return nil, `ends in a \`
			}
			i++
			if s[i] != '\n' {
				w.WriteByte(s[i])
			}
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, ""
}

// shellLine is words as one /bin/sh command line that runs them as they
// are: netlab runs exec steps and services through a shell, containerlab
// runs them without one.
func shellLine(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	return strings.Join(quoted, " ")
}

// shellQuote is w as the shell reads it back: as it is when it holds only
// characters the shell leaves alone, else in single quotes.
func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
