/* The node side of netlab: the lab supervisor and each node's one process
 * (init.c, then agent.c). See doc.go for the shape of a lab and why. */
#ifndef NETLAB_NODE_H
#define NETLAB_NODE_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* An error: the failing step and its errno, as netlab shows it. */
#define ERRLEN 512
struct err {
	char msg[ERRLEN];
};

/* fail formats fmt into e, followed by ": " and strerror(errno) when
 * errno is set, and returns -1. The errno text starts lower-case, as Go's
 * do, since netlab prints both side by side. */
int fail(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* failx is fail without an errno. */
int failx(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* errtext is strerror(n) starting lower-case. */
const char *errtext(int n);

/* netlab_node_main runs the role argv names, never returning then; it
 * returns when argv names none. */
void netlab_node_main(int argc, char **argv);

/* The roles. */
int supervisor_main(char **argv);
int agent_test_main(void);
/* init_main is a node's process, just cloned by the supervisor: it builds
 * the node, reports on sock and serves as its agent; it never returns. */
void init_main(struct spawn_req *s, int sock) __attribute__((noreturn));
/* agent_serve runs the agent's loop on the listening socket l. */
int agent_serve(int l, const char *node);
/* write_sysctls writes KEY=VALUE pairs under /proc/sys, as this process's
 * namespaces see them. */
int write_sysctls(const struct strv *kvs, struct err *e);

/* node_nofile is the open-files limit the supervisor was started with,
 * which each node gets back (supervisor.c raises its own). */
#include <sys/resource.h>
extern struct rlimit node_nofile;

/* The node's root, as the lab's user namespace numbers it: a node's own
 * user namespace maps node id k to lab id k+1 (see init.c). */
#define NODE_ROOT_ID 1
/* The highest id of a node's own (a lab maps 65536 ids at most). */
#define MAX_NODE_ID 65535

/* Where the supervisor keeps what every node shares (see supervisor.c). */
#define ETC_SKELETON "/run/netlab-etc"

/* Helpers (sys.c). */
pid_t clone_pidfd(unsigned long flags, int *pidfd);
/* close_except closes every descriptor from 3 up but the n in keep. */
void close_except(const int *keep, int n);
void set_title(const char *role, const char *name);
void quiet_stdio(void);
/* is_real_dir reports whether path is a directory, not a symlink to one. */
int is_real_dir(const char *path);
/* netlink_route_socket opens a bound NETLINK_ROUTE socket of this
 * process's network namespace: -1 with errno when it cannot. */
int netlink_route_socket(void);
/* write_all writes len bytes to fd. */
int write_all(int fd, const void *buf, size_t len);
/* write_file writes s to an existing file at path (a /proc file). */
int write_file(const char *path, const char *s, size_t len);
/* send_ready sends a readyReport: e's error, or ready, with the nfds
 * descriptors fds. */
int send_ready(int sock, const struct err *e, const int *fds, int nfds);
/* recv_ready reads a readyReport: 0 ready, with the descriptors that came
 * in fds (at most maxfds; *nfds of them), -1 with why in e and none kept. */
int recv_ready(int sock, int *fds, int maxfds, int *nfds, struct err *e);
/* now_ms is CLOCK_MONOTONIC in milliseconds. */
long long now_ms(void);
/* wait_code is the exit code a shell reports for a wait status. */
int wait_code(int status);

#endif
