// Package kubernetes holds the manifests that place a lab's parts on a
// Kubernetes cluster, and the test that reads them as the API server
// would: a Namespace, a ServiceAccount allowed to list nodes (rbac.yaml),
// the lab's topology in a ConfigMap (configmap.yaml), and a DaemonSet on
// the nodes labelled for the lab (daemonset.yaml) whose pods run netlab
// up --host NODE_NAME with the host's network and take their part down
// before they stop. Dockerfile builds the image they run. See the
// README's "Several hosts" for how to use them.
package kubernetes
