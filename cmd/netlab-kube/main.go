// Command netlab-kube resolves a topology's `hosts: kubernetes` inside a
// Kubernetes cluster: the cluster's nodes labelled for the lab, with their
// InternalIP addresses, read through client-go as the pod's service
// account (see netlab/kube), written out as the same topology with its
// hosts listed, for `netlab up --host NODE` in deploy/kubernetes's
// DaemonSet:
//
//	netlab-kube resolve /etc/netlab/lab.yaml > /run/netlab-lab.yaml
//
// It is a program of its own so that netlab does not link client-go,
// whose package initialisation alone would cost every netlab command
// (an exec round trip included) some 15 ms, and 40 MB of binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/netlab-dev/netlab/netlab/kube"
	"github.com/netlab-dev/netlab/topology"
)

const usage = "usage: netlab-kube resolve FILE   (the topology, its hosts: kubernetes listed, on stdout)"

func main() {
	if len(os.Args) != 3 || os.Args[1] != "resolve" {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := resolve(ctx, os.Args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlab-kube: %v\n", err)
		if _, ok := err.(*topology.Error); ok || len(topology.Errors(err)) > 0 {
			os.Exit(2)
		}
		os.Exit(1)
	}
	os.Stdout.Write(out)
}

// resolve reads file and lists its hosts, when it says hosts: kubernetes,
// from the cluster; it returns the topology to write.
func resolve(ctx context.Context, file string) ([]byte, error) {
	t, err := topology.Load(file)
	if err != nil {
		return nil, err
	}
	if t.HostsFrom == topology.HostsKubernetes {
		c, err := kube.InCluster()
		if err != nil {
			return nil, err
		}
		if err := kube.Resolve(ctx, c, t); err != nil {
			return nil, err
		}
	}
	return topology.Encode(t, topology.EncodeOptions{})
}
