// Package kube finds the hosts of a lab whose topology says hosts:
// kubernetes: the Kubernetes nodes labelled for the lab (LabLabel=LAB),
// each by its name and InternalIP, read through client-go from inside
// the cluster, with the pod's service account (deploy/kubernetes gives it
// the right to list nodes, and nothing more). Placing the lab's parts on
// them is the cluster's job: a DaemonSet runs netlab up --host NODE_NAME
// on each labelled node; netlab only reads what the cluster says.
package kube

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/netlab-dev/netlab/topology"
)

// LabLabel is the node label that puts a node's host in a lab:
// kubectl label node NODE netlab.dev/lab=LAB.
const LabLabel = "netlab.dev/lab"

// VXLANPortAnnotation, on a node, is the UDP port its tunnels use when it
// is not topology.DefaultVXLANPort.
const VXLANPortAnnotation = "netlab.dev/vxlan-port"

// InCluster is a client of the nodes of the cluster this process runs in,
// as its pod's service account. Only the core API group's client: the
// whole clientset would make netlab five times the size.
func InCluster() (corev1client.NodesGetter, error) {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("hosts: kubernetes: not inside a Kubernetes cluster (%w); run netlab up in the DaemonSet of deploy/kubernetes, or list the hosts in the file", err)
	}
	return corev1client.NewForConfig(cfg)
}

// Hosts are the nodes labelled LabLabel=lab, sorted by name, each with
// its InternalIP (the first, by the family of the first node's) and its
// VXLAN port. A labelled node without an InternalIP is an error that
// names it; no labelled node at all is one that says how to label one.
func Hosts(ctx context.Context, c corev1client.NodesGetter, lab string) ([]*topology.Host, error) {
	list, err := c.Nodes().List(ctx, metav1.ListOptions{LabelSelector: LabLabel + "=" + lab})
	if err != nil {
		return nil, fmt.Errorf("hosts: kubernetes: list the nodes labelled %s=%s: %w", LabLabel, lab, err)
	}
	if len(list.Items) == 0 {
		return nil, fmt.Errorf("hosts: kubernetes: no node is labelled %s=%s; label those the lab spans: kubectl label node NODE %s=%s", LabLabel, lab, LabLabel, lab)
	}
	nodes := slices.Clone(list.Items)
	slices.SortFunc(nodes, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	var hosts []*topology.Host
	var family *bool
	for _, n := range nodes {
		h := &topology.Host{Name: n.Name, VXLANPort: topology.DefaultVXLANPort}
		for _, a := range n.Status.Addresses {
			addr, err := netip.ParseAddr(a.Address)
			if a.Type != corev1.NodeInternalIP || err != nil || family != nil && addr.Is4() != *family {
				continue
			}
			h.Address = addr.Unmap()
			break
		}
		if !h.Address.IsValid() {
			return nil, fmt.Errorf("hosts: kubernetes: node %s has no InternalIP address%s; the lab's tunnels go between nodes' InternalIPs", n.Name, familyNote(family))
		}
		if family == nil {
			is4 := h.Address.Is4()
			family = &is4
		}
		if p, ok := n.Annotations[VXLANPortAnnotation]; ok {
			if _, err := fmt.Sscanf(p, "%d", &h.VXLANPort); err != nil {
				return nil, fmt.Errorf("hosts: kubernetes: node %s: annotation %s=%q is not a UDP port", n.Name, VXLANPortAnnotation, p)
			}
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// familyNote says which family of InternalIP a node lacks, once the
// first node's chose one.
func familyNote(is4 *bool) string {
	switch {
	case is4 == nil:
		return ""
	case *is4:
		return " of IPv4, as the first node's is"
	}
	return " of IPv6, as the first node's is"
}

// Resolve gives t, whose hosts: is kubernetes, the hosts the cluster
// labelled for it, and places its nodes on them (see topology.Place).
func Resolve(ctx context.Context, c corev1client.NodesGetter, t *topology.Topology) error {
	hosts, err := Hosts(ctx, c, t.Name)
	if err != nil {
		return err
	}
	t.Hosts = hosts
	t.HostsFrom = "" // listed now: what netlab up reads
	t.Place()
	return nil
}
