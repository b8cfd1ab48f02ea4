/* What netlab asks of the node side, decoded from protocol.go's messages,
 * and the one message a node's process sends its supervisor (its ready
 * report, before any code of the node runs). These decoders are all the
 * parsing the C side does, and are fuzzed (fuzz/). */
#ifndef NETLAB_CONFIG_H
#define NETLAB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* A NULL-terminated array of strings, as execve takes them. */
struct strv {
	char **v;
	size_t n;
};

struct layer_file {
	char *path; /* relative to /etc */
	int dir;
	unsigned char *data;
	size_t len;
	uint32_t mode;
	int64_t uid, gid; /* as the node sees them */
};

struct bind_spec {
	char *source, *target;
	int readonly;
	int tree; /* the source comes in the packet as a detached mount */
	int fd;   /* that mount, once the packet is read; else -1 */
};

struct spawn_req {
	int64_t id;
	char *node, *hostname;
	struct strv sysctls;
	struct layer_file *layer;
	size_t nlayer;
	struct bind_spec *binds;
	size_t nbinds;
	int64_t tmpfs_size; /* bytes; 0: the kernel's default */
	int64_t cgroups;    /* cgroup.procs files at the packet's end */
	int held;           /* start into the namespaces the supervisor holds */
	int64_t clock_offset; /* ns: a time namespace of its own when not 0 */
	int listen_fd;      /* the exec socket, from the packet */
	int *cgroup_fds;    /* those files, once the packet is read (not owned) */
	int held_userns, held_netns; /* with held: the supervisor's, else -1 */
};

struct setup_req {
	int64_t id;
	struct strv hide, caps;
	int64_t nproc;
	int listen; /* the packet's last file is a listening socket */
};

/* A node named for Stop and NodeNetlink. */
struct node_op {
	int64_t id;
	char *node;
};

struct begin_req {
	int64_t id, uid, gid;
};

struct control {
	int detach;
	int64_t mapped, netlink, watch;
	struct begin_req *begin;
	struct setup_req *setup;
	struct spawn_req *spawn;
	struct node_op *stop, *node_netlink;
};

struct exec_req {
	struct strv argv, env;
	char *dir;
	int pty;
	int64_t rows, cols;
	char *log, *service;
};

struct put_req {
	char *path;
	unsigned char *data;
	size_t len;
	int64_t mode, uid, gid;
};

struct node_req {
	struct exec_req *exec;
	struct put_req *put;
	int services, netlink, watch;
	struct strv sysctls;
	char *packet;
};

/* Each decoder fills its message from buf, or returns -1 with why in err
 * (errlen bytes) and nothing allocated. */
int decode_control(const void *buf, size_t len, struct control *c, char *err, size_t errlen);
int decode_request(const void *buf, size_t len, struct node_req *r, char *err, size_t errlen);
/* decode_signal reads an execEvent from a client: the signal it asks for
 * (0 when none). */
int decode_signal(const void *buf, size_t len, int64_t *sig, char *err, size_t errlen);
/* decode_ready reads a node's readyReport: 0 ready, 1 with the node's
 * error in msg (msglen bytes, cut to fit), -1 for a bad report (why in
 * err). A report is its error field at most: the node sends nothing else. */
int decode_ready(const void *buf, size_t len, char *msg, size_t msglen, char *err, size_t errlen);

void free_control(struct control *c);
void free_spawn(struct spawn_req *s);
void free_request(struct node_req *r);
void free_strv(struct strv *s);

#endif
