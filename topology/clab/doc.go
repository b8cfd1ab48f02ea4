// Package clab reads containerlab topology files (*.clab.yml) as netlab
// topologies: the host's software instead of images, no container engine.
// containerlab's own code and docs are the reference for what a key means;
// where netlab differs it says so in a note, a warning or an error.
//
// What it reads:
//   - name, and topology: with defaults, kinds, groups, nodes and links;
//     a node's values are the node's, else its group's, else its kind's,
//     else the defaults' (maps such as env merged in that order, lists
//     such as exec and binds joined, binds by node path); its kind the
//     node's, else its group's, else the defaults' group's, else the
//     defaults'. A group named but not defined is only a label.
//   - ${VAR}, ${VAR:=default}, ${VAR:-default} and the other forms of
//     containerlab's envsubst in every value (an unset variable without a
//     default stays as written), and the magic variables __clabNodeName__,
//     __clabLabName__, __clabDir__ and __clabNodeDir__ in binds, exec and
//     stage commands, cmd and entrypoint.
//   - kind linux with an FRR image (frrouting/frr, quay.io/frrouting/frr,
//     ...): kind frr, daemons from the bound /etc/frr/daemons (NAME=yes,
//     NAME_options less -d and -A, NAME_instances refused at its line),
//     config from the bound frr.conf or a bound /etc/frr directory holding
//     one, else empty, as the image starts. A BIRD image: kind bird, its
//     bound bird.conf wherever the image reads it. Any other image: kind
//     host running the host's programs, with a warning naming a program
//     the image had (OpenBGPD's bgpd, nginx...) or the node's commands run
//     that the host lacks, and its Debian package.
//   - binds (relative to the file), exec (run through a shell with the
//     same words containerlab's exec would run), env and env-files, cmd
//     (and entrypoint) as a service, sysctls, cpu and memory as the node's
//     limits, stages' exec commands (before exec, in stage order) and
//     wait-for (on configure or healthy: exec steps after that node's),
//     network-mode none or bridge; kind bridge (and ovs-bridge) as a
//     netlab bridge.
//   - links in the brief form (with ipv4:/ipv6: lists) and type veth (each
//     end's mac, ipv4, ipv6), addresses applied for every kind; links
//     without mtu get containerlab's 9500.
//
// What needs an engine: vendor kinds, kind host and ext-container,
// network-mode host or container:, volumes, devices, host/mgmt-net/macvlan/
// vxlan/dummy links and host-side stage commands are errors at their line
// saying what netlab does instead; what can be left out without changing
// the lab's network (labels, mgmt-ipv4, ports, healthcheck, an image's
// tag...) is named on one warning line.
//
// Lab.Topology is judged by topology's rules like any netlab topology;
// Lab.Notes are what netlab import writes as comments.
package clab
