// Package check runs a lab's checks (the topology's checks:, see
// topology.Check) against the running lab, and reports them for people,
// graders and CI: a line per check, JSON, JUnit XML.
//
// The contract:
//
//   - A check is tried until it holds or its retry window (its wait:, else
//     DefaultWait; Options.Wait, when set, instead of either, and never
//     longer than the check's own wait:) has passed, and returns the moment
//     it holds: a wait is an upper bound, never a sleep. Between tries it
//     sleeps 50 ms, growing to 500 ms; a last try comes at the end of the
//     window. A single try is given up after TryTimeout.
//   - expect: fail turns a check round: it holds the moment what it tests
//     does not (a ping none of whose requests is answered, a route that is
//     not there, a command that exits otherwise or prints otherwise).
//   - What cannot be tested at all (the node is not running, ping or vtysh
//     is missing from the host) fails the check at once, expect: fail or
//     not, and says so: a broken lab never passes a check.
//   - Checks run in parallel, within a lab and across labs, at most
//     Options.Parallel tries at once (a check sleeping between tries holds
//     no slot) and 4 times as many checks under way, so that a run of
//     thousands holds as many goroutines as a run of dozens. A lab that is
//     not up gives one failed check, "lab is up", saying why.
//     Options.CheckDone hears of each check as it ends (netlab check
//     --ping-all prints a line then).
//   - Every result says what was found, passed or failed: the route that is
//     there (or the one the kernel would use instead), ping's loss line and
//     the first ICMP error, the neighbour's or peer's state (or the ones
//     the router has), the exit code and the tail of a command's output.
//
// How each kind is tested, inside the check's node:
//
//   - ping: ping -n -c COUNT -W 1 [-i 0.2] [-I SRC] ADDR; it holds when
//     every request is answered, and expect: fail holds when none is.
//   - route: the node's main table through netlink (netlab.Routes). To a
//     prefix: a route to exactly that prefix; to an address: the route the
//     kernel would choose, the longest prefix holding it. via and dev must
//     be a nexthop of it (one of several for a multipath route).
//   - exec: /bin/sh -c CMD with stdin empty; its exit code must be exit
//     (0 by default) and its output, stdout and stderr together, must
//     match output (RE2, multi-line: ^ and $ match at every line).
//   - ospf: FRR through vtysh -c 'show ip ospf neighbor json', reading
//     neighbors.<router id>[].nbrState (state in older FRR),
//     ifaceAddress (address), ifaceName; BIRD through birdc -s
//     /run/bird/bird.ctl -r show ospf neighbors, its table's router id,
//     state, interface and router IP columns. The neighbour matches by
//     router id or interface address; it holds in state Full.
//   - bgp: FRR through vtysh -c 'show bgp summary json', reading
//     <afi>.peers.<address>.state and pfxRcd (summed over the address
//     families); BIRD through birdc -s /run/bird/bird.ctl -r show protocols
//     all, each BGP protocol's "BGP state", "Neighbor address" and its
//     channels' "Routes: N imported". It holds when the session is
//     Established and at least prefixes routes came from the peer.
//
// Run takes Suites (a lab, its owner and its checks); Open makes one of a
// running lab, the caller's or, for root, another user's (netlab.LabRef). The Lab interface is what a check needs of a lab, so the runner is
// tested without root against a fake.
package check
