package topology

// Validate checks a Topology, built in Go or loaded, by the rules a file
// is judged by (see rules): names netlab turns into paths, hostnames and
// interface names, sysctl keys it writes as root, service names and their
// commands, links that refer to what exists, addresses the kernel would
// refuse, gateways on connected subnets, what each kind takes, checks that
// the runner can run, limits within their bounds (zero for the default).
// When any of it fails, files outside the node's private view, which
// netlab.Check refuses, are reported along with it, so that every error
// comes at once. Errors carry the positions the Topology holds, which may
// be zero; names they echo are quoted when they hold characters that do
// not print.
func Validate(t *Topology) error {
	_, err := Judge(t, nil)
	return err
}
