package nsproc

// LogDir is where, inside a node, the logs of its exec steps and services
// are: on the node's own /run, so they count against the lab's memory, and
// vanish with the node. The agent (node/agent.c) writes them.
const LogDir = "/run/log/netlab"
