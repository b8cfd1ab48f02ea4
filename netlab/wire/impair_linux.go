package wire

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/netlab-dev/netlab/topology"
)

// Traffic control handles (linux/pkt_sched.h).
const (
	tcHRoot          = 0xFFFFFFFF
	tcHClsact        = 0xFFFFFFF1
	tcHMinIngress    = 0xFFF2
	tcNetemLatency64 = 11 // TCA_NETEM_LATENCY64, in ns
	tcNetemJitter64  = 12 // TCA_NETEM_JITTER64, in ns
)

// Impair sets what interface index of the socket's namespace does to what
// it sends: none of its old impairments stay. With netem (the kernel has
// sch_netem), one netem qdisc does all of im; without, rate is a tbf qdisc
// and loss is done by the peer (see DropIngress), so im must ask for
// nothing else (the caller refused it before making anything).
func (s *Socket) Impair(index int, im topology.Impairment, netem bool) error {
	if err := s.delQdisc(index, tcHRoot); err != nil {
		return err
	}
	switch {
	case netem && (im.NeedsNetem() || im.Loss > 0):
		return s.addNetem(index, im)
	case im.Rate > 0:
		return s.addTBF(index, im.Rate)
	}
	return nil
}

// delQdisc removes the qdisc at parent of interface index, if any.
func (s *Socket) delQdisc(index int, parent uint32) error {
	req := nl.NewNetlinkRequest(unix.RTM_DELQDISC, 0)
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(index), Parent: parent})
	err := s.do(req, false, nil)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL) {
		return nil // none there (EINVAL: the default qdisc cannot be deleted)
	}
	if err != nil {
		return fmt.Errorf("remove qdisc: %w", err)
	}
	return nil
}

// addTBF limits interface index to rate bits per second: a burst of 10 ms
// of traffic (at least 10 full frames) and a queue of 50 ms more.
func (s *Socket) addTBF(index int, rate uint64) error {
	bytesPerSec := rate / 8
	burst := max(bytesPerSec/100, 10*1514)
	req := nl.NewNetlinkRequest(unix.RTM_NEWQDISC, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(index), Handle: 1 << 16, Parent: tcHRoot})
	req.AddData(nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("tbf")))
	opt := nl.NewRtAttr(nl.TCA_OPTIONS, nil)
	q := nl.TcTbfQopt{Limit: uint32(min(bytesPerSec/20+burst, math.MaxUint32))}
	q.Rate.Linklayer = 1 // ethernet: the kernel needs no rate table
	q.Rate.Rate = uint32(min(bytesPerSec, math.MaxUint32))
	opt.AddRtAttr(nl.TCA_TBF_PARMS, q.Serialize())
	if bytesPerSec >= math.MaxUint32 {
		opt.AddRtAttr(nl.TCA_TBF_RATE64, nl.Uint64Attr(bytesPerSec))
	}
	opt.AddRtAttr(nl.TCA_TBF_BURST, nl.Uint32Attr(uint32(burst)))
	req.AddData(opt)
	if err := s.do(req, false, nil); err != nil {
		return fmt.Errorf("add tbf qdisc (rate %s): %w", topology.FormatRate(rate), err)
	}
	return nil
}

// addNetem gives interface index one netem qdisc doing all of im.
func (s *Socket) addNetem(index int, im topology.Impairment) error {
	if err := s.do(netemRequest(index, im), false, nil); err != nil {
		return fmt.Errorf("add netem qdisc (%s): %w", im, err)
	}
	return nil
}

// netemRequest is the RTM_NEWQDISC that makes addNetem's qdisc. Times go
// in the 64-bit nanosecond attributes, which the kernel prefers to the
// option struct's ticks (tc sends ticks; the test compares the two).
func netemRequest(index int, im topology.Impairment) *nl.NetlinkRequest {
	prob := func(pct float64) uint32 { return uint32(math.Min(math.Round(pct/100*(1<<32)), math.MaxUint32)) }
	req := nl.NewNetlinkRequest(unix.RTM_NEWQDISC, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(index), Handle: 1 << 16, Parent: tcHRoot})
	req.AddData(nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("netem")))
	q := nl.TcNetemQopt{Limit: 10000, Loss: prob(im.Loss), Duplicate: prob(im.Duplicate)}
	opt := nl.NewRtAttr(nl.TCA_OPTIONS, q.Serialize())
	if im.Delay > 0 {
		opt.AddRtAttr(tcNetemLatency64, nl.Uint64Attr(uint64(im.Delay/time.Nanosecond)))
	}
	if im.Jitter > 0 {
		opt.AddRtAttr(tcNetemJitter64, nl.Uint64Attr(uint64(im.Jitter/time.Nanosecond)))
	}
	if im.Corrupt > 0 {
		c := nl.TcNetemCorrupt{Probability: prob(im.Corrupt)}
		opt.AddRtAttr(nl.TCA_NETEM_CORRUPT, c.Serialize())
	}
	if im.Rate > 0 {
		r := nl.TcNetemRate{Rate: uint32(min(im.Rate/8, math.MaxUint32))}
		opt.AddRtAttr(nl.TCA_NETEM_RATE, r.Serialize())
		if im.Rate/8 >= math.MaxUint32 {
			opt.AddRtAttr(nl.TCA_NETEM_RATE64, nl.Uint64Attr(im.Rate/8))
		}
	}
	req.AddData(opt)
	return req
}

// DropIngress makes interface index drop what it receives by prog (see
// LossProgram), or with prog nil stop dropping: a clsact qdisc with a
// direct-action BPF filter on ingress. On the receiving side the drop is
// silent; on the sender's egress the kernel would report it to the
// sender (ENOBUFS), and ping and TCP would simply send again.
func (s *Socket) DropIngress(index int, prog *ebpf.Program) error {
	if err := s.delQdisc(index, tcHClsact); err != nil {
		return err
	}
	if prog == nil {
		return nil
	}
	req := nl.NewNetlinkRequest(unix.RTM_NEWQDISC, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(index), Handle: tcHClsact &^ 0xFFFF, Parent: tcHClsact})
	req.AddData(nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("clsact")))
	if err := s.do(req, false, nil); err != nil {
		return fmt.Errorf("add clsact qdisc: %w", err)
	}
	req = nl.NewNetlinkRequest(unix.RTM_NEWTFILTER, unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	protoAll := uint32(htons(unix.ETH_P_ALL))
	req.AddData(&nl.TcMsg{Family: unix.AF_UNSPEC, Ifindex: int32(index), Parent: tcHClsact&^0xFFFF | tcHMinIngress, Info: 1<<16 | protoAll})
	req.AddData(nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("bpf")))
	opt := nl.NewRtAttr(nl.TCA_OPTIONS, nil)
	opt.AddRtAttr(nl.TCA_BPF_FD, nl.Uint32Attr(uint32(prog.FD())))
	opt.AddRtAttr(nl.TCA_BPF_NAME, nl.ZeroTerminated("netlab_loss"))
	opt.AddRtAttr(nl.TCA_BPF_FLAGS, nl.Uint32Attr(nl.TCA_BPF_FLAG_ACT_DIRECT))
	req.AddData(opt)
	if err := s.do(req, false, nil); err != nil {
		return fmt.Errorf("add loss filter: %w", err)
	}
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// LossProgram is a tc BPF program that drops a packet with probability
// pct percent: bpf_get_prandom_u32 against a threshold. Loading it needs
// CAP_BPF (root); the caller closes it once attached.
func LossProgram(pct float64) (*ebpf.Program, error) {
	// The 32-bit random number halved, against half the threshold: a
	// signed 32-bit immediate holds it.
	threshold := int32(math.Min(pct/100*(1<<31), math.MaxInt32))
	spec := &ebpf.ProgramSpec{
		Name: "netlab_loss",
		Type: ebpf.SchedCLS,
		Instructions: asm.Instructions{
			asm.FnGetPrandomU32.Call(),
			asm.RSh.Imm32(asm.R0, 1),
			asm.JLT.Imm32(asm.R0, threshold, "drop"),
			asm.Mov.Imm(asm.R0, 0), // TC_ACT_OK
			asm.Return(),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("drop"), // TC_ACT_SHOT
			asm.Return(),
		},
		License: "GPL",
	}
	prog, err := ebpf.NewProgram(spec)
	if err != nil {
		return nil, fmt.Errorf("load the loss program: %w", err)
	}
	return prog, nil
}
