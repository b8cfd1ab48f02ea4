package netlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-dev/netlab/topology"
)

// Phase is how far a lab got.
type Phase string

const (
	PhaseStarting Phase = "starting" // up is running, or was killed while it ran
	PhaseUp       Phase = "up"       // up finished: every node wired
)

// State is what state.json holds: the lab as resolved plus what its
// processes and namespaces are. Down needs nothing else.
type State struct {
	Name  string `json:"name"`
	File  string `json:"file"` // absolute
	Phase Phase  `json:"phase"`
	// Started is when up began.
	Started time.Time `json:"started"`
	// Protocol is the version of nsproc's protocol the lab's processes
	// speak: a lab outlives the netlab that started it.
	Protocol   int                `json:"protocol"`
	IDs        IDRange            `json:"ids"`
	Supervisor *Proc              `json:"supervisor,omitempty"`
	Cgroup     []string           `json:"cgroup,omitempty"` // the lab's cgroup directories, one per controller (v1) or one (v2)
	Topology   *topology.Topology `json:"topology"`
	// Host is which of the lab's hosts this machine is, for a lab across
	// hosts, whose Nodes are then those of this host only.
	Host  string      `json:"host,omitempty"`
	Nodes []NodeState `json:"nodes"`

	// topologyJSON, when set, is Topology encoded, written as it is: an
	// up writes its state several times and its topology never changes
	// meanwhile (encoding a 10,000-node grid's takes ~0.2 s).
	topologyJSON json.RawMessage
}

// NodeState is a node's runtime facts, known once its init reported ready.
type NodeState struct {
	Name string `json:"name"`
	// Init is the node's one process: PID 1 of the node, root of its user
	// namespace (which owns its netns), its agent, serving exec. The node
	// lives as long as it does; nil while it is stopped.
	Init       *Proc  `json:"init,omitempty"`
	NetNSInode uint64 `json:"netns_inode,omitempty"` // to never unregister a netns that is not ours
	// NSID is the id of the node's network namespace in the supervisor's
	// (from 1; 0 for none, as labs brought up before it had): one socket
	// of the supervisor's reads every node's interfaces (see kernelViews).
	NSID int `json:"nsid,omitempty"`
	// Stopped is a node netlab stop ended: no process of it runs, its
	// network namespace is held by the supervisor, netlab start starts it.
	Stopped bool `json:"stopped,omitempty"`
}

// Proc identifies a process across pid reuse.
type Proc struct {
	Pid       int    `json:"pid"`
	StartTime uint64 `json:"start_time"` // field 22 of /proc/PID/stat
}

// IDRange is the host uid/gid range that root of the lab's user namespace
// maps to: host ids First .. First+Count-1.
type IDRange struct {
	First uint32 `json:"first"`
	Count uint32 `json:"count"`
}

// ErrBadName is wrapped by errors about a lab or node name that cannot exist.
var ErrBadName = errors.New("bad name")

// checkLabName keeps a name from escaping a state root or colliding with its files.
func checkLabName(name string) error {
	if !topology.ValidName(name) {
		return fmt.Errorf("%w: lab %q: use lower-case letters, digits and '-', at most 32", ErrBadName, name)
	}
	return nil
}

func (m *Machine) labDir(name string) string    { return filepath.Join(m.StateRoot, name) }
func (m *Machine) statePath(name string) string { return filepath.Join(m.labDir(name), "state.json") }
func (m *Machine) socketPath(lab, node string) string {
	return filepath.Join(m.labDir(lab), node+".sock")
}

// supervisorPath is where a lab's supervisor listens for netlab's verbs
// after up (restart, stop, start, events).
func (m *Machine) supervisorPath(lab string) string {
	return filepath.Join(m.labDir(lab), "supervisor.sock")
}

// eventsPath is the lab's events log, which verbs append to and netlab
// events follows (see package events).
func (m *Machine) eventsPath(lab string) string { return filepath.Join(m.labDir(lab), "events.log") }

// netnsName is the name iproute2 shows for a node's network namespace.
func netnsName(lab, node string) string { return lab + "-" + node }

// ErrNoLab is returned for a lab that has no state.
var ErrNoLab = errors.New("no such lab")

// readOwnState reads the state.json of a lab of the caller's own m.
func (m *Machine) readOwnState(name string) (*State, error) {
	if err := m.checkStateRoot(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(m.statePath(name))
	if errors.Is(err, os.ErrNotExist) {
		if m.Rootless {
			// Each user sees only labs of their own.
			return nil, fmt.Errorf("lab %s: %w of user %s (labs of other users, and root's, are theirs alone)", name, ErrNoLab, m.User)
		}
		return nil, fmt.Errorf("lab %s: %w", name, ErrNoLab)
	}
	if err != nil {
		return nil, fmt.Errorf("read state of lab %s: %w", name, err)
	}
	s, err := decodeState(name, b)
	if err != nil {
		return nil, fmt.Errorf("state of lab %s is corrupt (%s: %v): %w", name, m.statePath(name), err, ErrCorruptState)
	}
	return s, nil
}

// ErrCorruptState is wrapped by errors about a state.json that cannot be
// read as one.
var ErrCorruptState = errors.New("corrupt state")

// teardownPath is where the part of a lab's state that down needs is kept
// a second time: what it made (processes, namespaces, cgroups), not the
// topology. A state.json that was damaged still leaves down all it needs.
func (m *Machine) teardownPath(name string) string {
	return filepath.Join(m.labDir(name), "teardown.json")
}

// readTeardownState reads what teardownPath keeps, as a State without its
// topology.
func (m *Machine) readTeardownState(name string) (*State, error) {
	b, err := os.ReadFile(m.teardownPath(name))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil || s.Name != name {
		return nil, fmt.Errorf("%s is corrupt too", m.teardownPath(name))
	}
	return &s, nil
}

// writeState replaces s's state.json, and the copy of what down needs,
// atomically: readers see the old or the new file, never a part of one.
func (m *Machine) writeState(s *State) error {
	t := *s
	t.Topology = nil
	if err := writeJSON(m.teardownPath(s.Name), &t); err != nil {
		return err
	}
	return s.writeTo(m.statePath(s.Name))
}

func (s *State) writeTo(path string) error {
	if s.topologyJSON != nil {
		// The outer field is the shallower: encoding/json writes it, not
		// State's.
		return writeJSON(path, struct {
			*State
			Topology json.RawMessage `json:"topology"`
		}{s, s.topologyJSON})
	}
	return writeJSON(path, s)
}

// keepTopology encodes s's topology once, for every write after: the
// caller changes the topology no more (an up).
func (s *State) keepTopology() error {
	b, err := json.Marshal(s.Topology)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	s.topologyJSON = b
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write state: %w", err)
	}
	// No fsync: /run is a tmpfs on a real machine and state does not
	// outlive a reboot, when the namespaces it names are gone too.
	if err := f.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// node returns the state of the named node, or nil.
func (s *State) node(name string) *NodeState {
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			return &s.Nodes[i]
		}
	}
	return nil
}

// elsewhere gives the host that node runs on when it is a node of the lab
// that another of its hosts runs, not this one.
func (s *State) elsewhere(node string) (string, bool) {
	n := s.Topology.Node(node)
	if n == nil || s.Host == "" || n.Host == s.Host || s.node(node) != nil {
		return "", false
	}
	return n.Host, true
}
