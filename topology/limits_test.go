package topology

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"16777216", 16 << 20},
		{"16M", 16 << 20},
		{"16MiB", 16 << 20},
		{"16 MiB", 16 << 20},
		{"1K", 1024},
		{"1KiB", 1024},
		{"1KB", 1000},
		{"2G", 2 << 30},
		{"2GiB", 2 << 30},
		{"2GB", 2e9},
		{"1.5GiB", 3 << 29},
		{"1.5GB", 1.5e9},
		{"0.5M", 512 << 10},
		{".5M", 512 << 10},
		{"1T", 1 << 40},
		{"1TiB", 1 << 40},
		{"1TB", 1e12},
		{"1.0000001K", 1024}, // rounded down to a whole byte
		{"8388607T", 8388607 << 40},
	}
	for _, tt := range tests {
		got, why := parseSize(tt.in)
		if why != "" || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %q; want %d", tt.in, got, why, tt.want)
		}
	}
	bad := []struct{ in, why string }{
		{"-1G", "is negative"},
		{"-5", "is negative"},
		{"1.5", "is not a whole number of bytes"},
		{"512mb", "is not a size"},
		{"1g", "is not a size"},
		{"1Gi", "is not a size"},
		{"1 G B", "is not a size"},
		{"1e9", "is not a size"},
		{"0x1000", "is not a size"},
		{"G", "is not a size"},
		{"", "is not a size"},
		{"1,5G", "is not a size"},
		{"8388608T", "is more bytes than can be counted"},
		{"99999999999999999999", "is more bytes than can be counted"},
	}
	for _, tt := range bad {
		if _, why := parseSize(tt.in); !strings.HasPrefix(why, tt.why+"; ") {
			t.Errorf("parseSize(%q) says %q, want %q; ...", tt.in, why, tt.why)
		}
	}
}

// TestLimits: each value under limits: as written, read into Limits or
// refused with a positioned error that shows the right form.
func TestLimits(t *testing.T) {
	const lab = "name: lab\nlimits:\n  %s\nnodes:\n  h1:\n"
	good := []struct {
		line string
		want Limits
	}{
		{"pids: 16", Limits{Pids: 16}},
		{"pids: 4194304", Limits{Pids: 4194304}},
		{"memory: 16MiB", Limits{Memory: 16 << 20}},
		{"memory: 16777216", Limits{Memory: 16 << 20}},
		{"memory: 1TB", Limits{Memory: 1e12}},
		{"cpus: 1.5", Limits{CPUs: 1.5}},
		{"cpus: 0.01", Limits{CPUs: 0.01}},
		{"cpus: 1024", Limits{CPUs: 1024}},
		{"cpus: 2", Limits{CPUs: 2}},
		{"{pids: 100, memory: 1G, cpus: .5}", Limits{Pids: 100, Memory: 1 << 30, CPUs: 0.5}},
		{"", Limits{}},
	}
	for _, tt := range good {
		top, err := Parse("lab.yaml", []byte(strings.Replace(lab, "%s", tt.line, 1)))
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		tt.want.Pos = Pos{2, 1}
		if got := top.Limits; got.Pids != tt.want.Pids || got.Memory != tt.want.Memory || got.CPUs != tt.want.CPUs || got.Pos != tt.want.Pos {
			t.Errorf("%s: got %+v, want %+v", tt.line, top.Limits, tt.want)
		}
		if err := Validate(top); err != nil {
			t.Errorf("%s: Validate: %v", tt.line, err)
		}
	}
	bad := []struct{ line, want string }{
		{"pids: 0", "3:9: pids 0 of limits is too few to start a lab's processes; write at least 16, e.g. pids: 1024"},
		{"pids: 15", "3:9: pids 15 of limits is too few to start a lab's processes; write at least 16, e.g. pids: 1024"},
		{"pids: -1", "3:9: pids -1 of limits is negative; write a number of processes of at least 16, e.g. pids: 1024"},
		{"pids: 4194305", "3:9: pids 4194305 of limits is over the kernel's limit; write at most 4194304"},
		{"pids: 99999999999999999999999", "3:9: pids 99999999999999999999999 of limits is over the kernel's limit; write at most 4194304"},
		{"pids: 1.5", `3:9: pids "1.5" of limits is not a whole number; write a number of processes, e.g. pids: 1024`},
		{"pids: 1e3", `3:9: pids "1e3" of limits is not a whole number; write a number of processes, e.g. pids: 1024`},
		{"pids: max", `3:9: pids "max" of limits is not a whole number; write a number of processes, e.g. pids: 1024`},
		{"pids:", "3:8: pids of limits must be a single value, not empty; write pids: 1024"},
		{"memory: 0", "3:11: memory 0 of limits is too little to run a lab; write at least 16MiB, e.g. memory: 512MiB"},
		{"memory: 16777215", "3:11: memory 16777215 of limits is too little to run a lab; write at least 16MiB, e.g. memory: 512MiB"},
		{"memory: 15.9M", "3:11: memory 15.9M of limits is too little to run a lab; write at least 16MiB, e.g. memory: 512MiB"},
		{"memory: 16MB", "3:11: memory 16MB of limits is too little to run a lab; write at least 16MiB, e.g. memory: 512MiB"},
		{"memory: -1G", "3:11: memory -1G of limits is negative; write a size of at least 16MiB, e.g. memory: 512MiB"},
		{"memory: lots", "3:11: memory lots of limits is not a size; " + sizeHint},
		{`memory: "\e[2J1G"`, `3:11: memory "\x1b[2J1G" of limits is not a size; ` + sizeHint},
		{"memory: 9999999T", "3:11: memory 9999999T of limits is more bytes than can be counted; write a size below 8EiB, e.g. memory: 64GiB"},
		{"cpus: 0", "3:9: cpus 0 of limits is no time at all; write a positive number of CPUs, e.g. cpus: 1.5, or remove it for no limit"},
		{"cpus: 0.0", "3:9: cpus 0.0 of limits is no time at all; write a positive number of CPUs, e.g. cpus: 1.5, or remove it for no limit"},
		{"cpus: 0.001", "3:9: cpus 0.001 of limits is below what the kernel can enforce; write at least 0.01"},
		{"cpus: -0.5", "3:9: cpus -0.5 of limits is negative; write a positive number of CPUs, e.g. cpus: 1.5"},
		{"cpus: 1025", "3:9: cpus 1025 of limits is more than 1024; write at most 1024, e.g. cpus: 1.5"},
		{"cpus: 1e400", `3:9: cpus "1e400" of limits is not a number; write how many CPUs' worth of time the lab may use, e.g. cpus: 1.5`},
		{"cpus: .inf", `3:9: cpus ".inf" of limits is not a number; write how many CPUs' worth of time the lab may use, e.g. cpus: 1.5`},
		{"cpus: nan", `3:9: cpus "nan" of limits is not a number; write how many CPUs' worth of time the lab may use, e.g. cpus: 1.5`},
		{"cpus: 50%", `3:9: cpus "50%" of limits is not a number; write how many CPUs' worth of time the lab may use, e.g. cpus: 1.5`},
		{"cpus: 9" + strings.Repeat("9", 400), "3:9: cpus 9" + strings.Repeat("9", 400) + " of limits is more than 1024; write at most 1024, e.g. cpus: 1.5"},
		{"cpu: 1", `3:3: unknown key "cpu" in limits; valid keys are pids, memory, cpus`},
		{"{pids: 8, memory: 8M}", "3:10: pids 8 of limits is too few to start a lab's processes; write at least 16, e.g. pids: 1024\n" +
			"lab.yaml:3:21: memory 8M of limits is too little to run a lab; write at least 16MiB, e.g. memory: 512MiB"},
	}
	for _, tt := range bad {
		_, err := Parse("lab.yaml", []byte(strings.Replace(lab, "%s", tt.line, 1)))
		if err == nil || err.Error() != "lab.yaml:"+tt.want {
			t.Errorf("%s:\n got %v\nwant lab.yaml:%s", tt.line, err, tt.want)
		}
	}
}

// TestValidateLimits: a Topology built in Go gets the same bounds, zero
// meaning the default.
func TestValidateLimits(t *testing.T) {
	top := &Topology{Name: "lab", Nodes: []*Node{{Name: "a", Kind: KindHost}}}
	if err := Validate(top); err != nil {
		t.Fatal(err)
	}
	top.Limits = Limits{Pids: -1, Memory: 1 << 20, CPUs: 2000, Pos: Pos{3, 1}}
	err := Validate(top)
	for _, want := range []string{
		":3:1: pids -1 of limits is negative; ",
		":3:1: memory 1048576 of limits is too little to run a lab; ",
		":3:1: cpus 2000 of limits is more than 1024; ",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate's errors lack %q:\n%v", want, err)
		}
	}
}
