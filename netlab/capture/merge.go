package capture

import "container/heap"

// packet is one frame as a reader hands it to the writer.
type packet struct {
	ts     int64 // nanoseconds since the epoch
	seq    uint64
	intf   int
	length int // on the wire
	flags  uint32
	data   []byte
}

// reorder holds packets until they are older than the window, and gives
// them out in order of timestamp (of arrival among equal ones).
type reorder struct {
	h    packetHeap
	seq  uint64
	last int64 // timestamp of the last packet given out
	late int   // packets given out older than one given out before them
}

func (r *reorder) push(p packet) {
	r.seq++
	p.seq = r.seq
	heap.Push(&r.h, p)
}

func (r *reorder) len() int { return len(r.h) }

// pop gives out the oldest packet held if its timestamp is at most upTo.
func (r *reorder) pop(upTo int64) (packet, bool) {
	if len(r.h) == 0 || r.h[0].ts > upTo {
		return packet{}, false
	}
	p := heap.Pop(&r.h).(packet)
	if p.ts < r.last {
		r.late++
	} else {
		r.last = p.ts
	}
	return p, true
}

type packetHeap []packet

func (h packetHeap) Len() int { return len(h) }
func (h packetHeap) Less(i, j int) bool {
	if h[i].ts != h[j].ts {
		return h[i].ts < h[j].ts
	}
	return h[i].seq < h[j].seq
}
func (h packetHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *packetHeap) Push(x any)   { *h = append(*h, x.(packet)) }
func (h *packetHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = packet{}
	*h = old[:len(old)-1]
	return p
}
