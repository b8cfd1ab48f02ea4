package check

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// WriteJSON writes the report as indented JSON:
//
//	{"labs": [{"name", "owner", "passed", "failed",
//	  "checks": [{"name", "kind", "node", "passed", "message", "duration_ms", "tries", "line"}]}]}
func (r *Report) WriteJSON(w io.Writer) error {
	labs := r.Labs
	if labs == nil {
		labs = []LabResult{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Labs []LabResult `json:"labs"`
	}{labs})
}

// JUnit XML, as Jenkins, GitLab and GitHub's test reporters read it: one
// testsuite per lab, named OWNER/LAB, one testcase per check, classname
// the suite's name.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Hostname  string      `xml:"hostname,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML: a testsuite per lab, named
// OWNER/LAB (tests, failures, time), a testcase per check (classname the
// suite's name) whose
// <failure message="..."> says what was found instead; a passed check
// keeps what was found in <system-out>.
func (r *Report) WriteJUnit(w io.Writer) error {
	doc := junitSuites{Name: "netlab check"}
	host, _ := os.Hostname()
	var total time.Duration
	for _, l := range r.Labs {
		name := l.Name
		if l.Owner != "" {
			name = l.Owner + "/" + l.Name
		}
		s := junitSuite{Name: name, Tests: len(l.Checks), Failures: l.Failed, Time: seconds(l.Duration), Hostname: host}
		if !l.Started.IsZero() {
			s.Timestamp = l.Started.UTC().Format("2006-01-02T15:04:05")
		}
		for _, c := range l.Checks {
			tc := junitCase{Name: c.Name, Classname: name, Time: seconds(c.Duration)}
			if c.Passed {
				tc.SystemOut = c.Message
			} else {
				first, _, _ := strings.Cut(c.Message, "\n")
				tc.Failure = &junitFailure{Message: first, Type: c.Kind, Text: c.Message}
			}
			s.Cases = append(s.Cases, tc)
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		total = max(total, l.Duration)
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
