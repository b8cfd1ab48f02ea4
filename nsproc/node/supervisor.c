//go:build !netlab_protogen

/* The lab supervisor: PID 1 of the lab's PID namespace, root of its user
 * namespace, one thread. netlab execs it once per lab (the only exec of a
 * lab); it makes what every node shares, then clones each node on
 * request and reaps whatever ends in the lab. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "node.h"
#include "protocol.h"

/* How long a node may take to set itself up. */
#define READY_TIMEOUT_MS 30000

/* Bounds of the copy of the host's world-readable /etc files in the
 * skeleton. */
#define ETC_COPY_MAX (1 << 20)
#define ETC_COPY_BUDGET (16 << 20)

/* A node the supervisor started, as it keeps it across stops and starts:
 * its process while one runs, and from its first ready report on its
 * network namespace (and so the user namespace that owns it), which
 * outlives its processes, held under HELD_DIR by its slot. */
struct node_rec {
	char *name;     /* spawnRequest.Node */
	pid_t pid;      /* in the lab's PID namespace, its child; 0 while none runs */
	int slot;       /* its file under HELD_DIR */
	int held;       /* its network namespace is held there */
	int stop_conn;  /* a Stop waits for the process's end: its answer goes there */
	int64_t stop_id;
};

struct rlimit node_nofile;

/* HELD_DIR holds each node's network namespace while the lab lives: a bind
 * mount of it, as `ip netns add` makes, in a mount namespace of the
 * supervisor's own that holds nothing else and that no node copies (each
 * node's is a copy of the supervisor's). Not a descriptor per node, which
 * made the supervisor of a 10,000-node lab hold 30,000 and fail under a
 * `ulimit -n` of a few thousand; not a mount in the supervisor's own
 * namespace, which every node would copy. The user namespace that owns it
 * comes from it (NS_GET_USERNS). */
#define HELD_DIR "/run/netlab-held"

/* A node that was cloned and has not reported ready yet. */
struct pending {
	int64_t id;
	int conn;   /* where the answer goes; -1 once that connection closed */
	int sock;
	int pidfd;  /* its process's, for the answer */
	int held;   /* started into its held namespaces: it asks for no maps */
	int mapped; /* its user namespace is mapped */
	struct node_rec *node;
	long long deadline_ms;
};

/* A connection netlab made to the listening socket. */
struct conn {
	int fd;
	int watch; /* it hears of nodes that start and end */
};

/* LAB_PROC is a /proc of the lab's PID namespace, the supervisor's own
 * (its /proc is the host's): where it maps nodes' user namespaces. */
#define LAB_PROC "/run/netlab-proc"

static struct {
	const char *lab;
	int control;   /* to netlab's up; -1 once detached */
	int listen;    /* netlab's later connections; -1 without */
	int own_netns; /* to come back to after opening a socket in a node's */
	int own_mntns, held_mntns; /* the supervisor's mount namespace, and HELD_DIR's */
	int next_slot;
	int sigfd;
	int ready;     /* the lab is set up: nodes may be spawned */
	struct pending *pending;
	size_t npending;
	struct node_rec **nodes;
	size_t nnodes;
	struct conn *conns;
	size_t nconns;
} sv = {.control = CONTROL_FD, .listen = -1, .own_netns = -1, .own_mntns = -1, .held_mntns = -1, .sigfd = -1};

/* reply answers request id on connection conn: err, or files. */
static void reply(int conn, int64_t id, const char *err, const int *fds, int nfds)
{
	struct msg_writer w = {0};
	if (conn < 0)
		return;
	msg_put_int(&w, T_REPLY_ID, id);
	if (err != NULL && err[0] != 0)
		msg_put_str(&w, T_REPLY_ERROR, err);
	if (send_msg(conn, &w, fds, nfds) < 0)
		fprintf(stderr, "netlab supervisor %s: reply: %s\n", sv.lab, errtext(errno));
	msg_free(&w);
}

/* emit tells every watcher of a node that started or ended. A watcher
 * whose buffer is full is shut down, not waited for: the poll loop then
 * drops it. */
static void emit(const char *kind, const char *node, int code)
{
	struct msg_writer w = {0};
	msg_put_str(&w, T_WATCH_KIND, kind);
	msg_put_str(&w, T_WATCH_NODE, node);
	if (code != 0)
		msg_put_int(&w, T_WATCH_CODE, code);
	for (size_t i = 0; i < sv.nconns; i++)
		if (sv.conns[i].watch && send_msg_nowait(sv.conns[i].fd, &w) < 0)
			shutdown(sv.conns[i].fd, SHUT_RDWR);
	msg_free(&w);
}

static struct node_rec *find_node(const char *name)
{
	for (size_t i = 0; i < sv.nnodes; i++)
		if (strcmp(sv.nodes[i]->name, name) == 0)
			return sv.nodes[i];
	return NULL;
}

static struct node_rec *add_node(char *name)
{
	struct node_rec **more = realloc(sv.nodes, (sv.nnodes + 1) * sizeof(*more));
	struct node_rec *r = calloc(1, sizeof(*r));
	if (more != NULL)
		sv.nodes = more;
	if (more == NULL || r == NULL) {
		free(r);
		return NULL;
	}
	r->name = name;
	r->slot = sv.next_slot++;
	r->stop_conn = -1;
	sv.nodes[sv.nnodes++] = r;
	return r;
}

static void free_node(struct node_rec *r)
{
	for (size_t i = 0; i < sv.nnodes; i++)
		if (sv.nodes[i] == r) {
			sv.nodes[i] = sv.nodes[--sv.nnodes];
			break;
		}
	free(r->name);
	free(r);
}

/* leave_holder comes back from HELD_DIR's mount namespace. A supervisor
 * that cannot would clone nodes from there: the lab goes. */
static void leave_holder(void)
{
	if (setns(sv.own_mntns, CLONE_NEWNS) < 0) {
		fprintf(stderr, "netlab supervisor %s: back to its mount namespace: setns: %s\n", sv.lab, errtext(errno));
		exit(1);
	}
}

/* make_holder makes the mount namespace of HELD_DIR: a copy of the
 * supervisor's with a tmpfs of its own there. */
static int make_holder(struct err *e)
{
	sv.own_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (sv.own_mntns < 0)
		return fail(e, "open its mount namespace");
	if (unshare(CLONE_NEWNS) < 0)
		return fail(e, "make the mount namespace that holds the nodes' network namespaces: unshare");
	/* From here on, whatever fails, the supervisor goes back to its own
	 * mount namespace (leave_holder), never cloning nodes from this one. */
	if (mount("tmpfs", HELD_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=4m") < 0) {
		fail(e, "mount tmpfs on " HELD_DIR);
		leave_holder();
		return -1;
	}
	sv.held_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (sv.held_mntns < 0) {
		fail(e, "open the mount namespace that holds the nodes' network namespaces");
		leave_holder();
		return -1;
	}
	leave_holder();
	return 0;
}

/* hold keeps netns, node r's network namespace, under HELD_DIR. */
static int hold(struct node_rec *r, int netns, struct err *e)
{
	char src[64], dst[64];
	int fd, err = 0;
	snprintf(src, sizeof(src), "/proc/self/fd/%d", netns);
	snprintf(dst, sizeof(dst), HELD_DIR "/%d", r->slot);
	if (setns(sv.held_mntns, CLONE_NEWNS) < 0)
		return fail(e, "hold its network namespace: setns");
	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd) < 0 || mount(src, dst, NULL, MS_BIND, NULL) < 0) {
		err = errno;
		if (fd >= 0)
			unlink(dst);
	}
	leave_holder();
	if (err != 0) {
		errno = err;
		return fail(e, "hold its network namespace: bind it on %s", dst);
	}
	r->held = 1;
	return 0;
}

/* open_held opens node r's held network namespace, and with userns the
 * user namespace that owns it (the node's own); -1 with errno set when it
 * cannot. */
static int open_held(const struct node_rec *r, int *userns)
{
	char path[64];
	int fd, err;
	snprintf(path, sizeof(path), HELD_DIR "/%d", r->slot);
	if (!r->held) {
		errno = ENOENT;
		return -1;
	}
	if (setns(sv.held_mntns, CLONE_NEWNS) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	err = errno;
	leave_holder();
	if (fd >= 0 && userns != NULL && (*userns = ioctl(fd, NS_GET_USERNS)) < 0) {
		err = errno;
		close(fd);
		fd = -1;
	}
	errno = err;
	return fd;
}

/* forget_conn drops every answer still owed to fd, which closed. */
static void forget_conn(int fd)
{
	for (size_t i = 0; i < sv.npending; i++)
		if (sv.pending[i].conn == fd)
			sv.pending[i].conn = -1;
	for (size_t i = 0; i < sv.nnodes; i++)
		if (sv.nodes[i]->stop_conn == fd)
			sv.nodes[i]->stop_conn = -1;
}

/* next_control reads netlab's next control message into c: -1 with why
 * in e when there is none, or a bad one. */
static int next_control(struct control *c, struct err *e)
{
	unsigned char *buf;
	int fds[1], nfds;
	char why[ERRLEN];
	ssize_t n = recv_msg(sv.control, &buf, fds, 0, &nfds);
	if (n < 0)
		return fail(e, "read netlab's request");
	if (buf == NULL)
		return failx(e, "netlab went away");
	if (decode_control(buf, (size_t)n, c, why, sizeof(why)) < 0) {
		free(buf);
		return failx(e, "a bad request from netlab: %s", why);
	}
	free(buf);
	return 0;
}

/* halve_counted_limits halves this process's limits of what the kernel
 * counts per user across user namespaces (queued signals, POSIX message
 * queue bytes, locked memory), before it makes the lab's user namespace:
 * the namespace's bound on what all its nodes take is the creator's limit
 * then. Halved, a lab takes at most half of its owner's (a rootless lab:
 * the user's), as the caps of /proc/sys/user do for the rest. */
static void halve_counted_limits(void)
{
	static const int counted[] = {RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE, RLIMIT_MEMLOCK};
	for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
		struct rlimit rl;
		if (getrlimit(counted[i], &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
			continue;
		rl.rlim_cur /= 2;
		rl.rlim_max = rl.rlim_cur;
		setrlimit(counted[i], &rl);
	}
}

/* MAPPED_ENV marks the supervisor's second start: in the lab's user
 * namespace, mapped, and holding the id of netlab's Mapped request. */
#define MAPPED_ENV "NETLAB_MAPPED="

/* begin_lab is the supervisor's start, in the host's namespaces. It
 * becomes the ids netlab gives it (root's netlab: an id of the lab's own
 * range that the lab does not map, so that no process can ever hold it)
 * and makes the lab's user namespace, so owned by them rather than by
 * root: what the lab's processes make (inotify instances, namespaces,
 * message queues) is counted against the lab's own id, never root's.
 * Once netlab has written its maps and put it in the lab's cgroup, it
 * becomes the lab's root and starts again (exec, once per lab) so that its
 * memory belongs to the lab's user namespace: then only a holder of
 * capabilities there may read or trace it and every node it clones, and
 * it may map the nodes' own user namespaces. That second start makes the
 * lab's other namespaces and clones the supervisor proper into them, as
 * netlab's own child (CLONE_PARENT) and PID 1 of the new PID namespace,
 * tells netlab its pid and exits. Only the clone returns. */
static int begin_lab(char **argv, struct err *e)
{
	const char *mapped = getenv("NETLAB_MAPPED");
	struct control c;
	int64_t id;
	pid_t pid;
	if (mapped == NULL) {
		char env[64];
		char *envp[] = {env, NULL};
		int become;
		if (next_control(&c, e) < 0)
			return -1;
		if (c.begin == NULL) {
			free_control(&c);
			return failx(e, "netlab's first request is not to begin");
		}
		id = c.begin->id;
		become = c.begin->uid != 0;
		if (become &&
		    (setgroups(0, NULL) < 0 || setresgid((gid_t)c.begin->gid, (gid_t)c.begin->gid, (gid_t)c.begin->gid) < 0 ||
		     setresuid((uid_t)c.begin->uid, (uid_t)c.begin->uid, (uid_t)c.begin->uid) < 0)) {
			free_control(&c);
			return fail(e, "become the lab's ids");
		}
		free_control(&c);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		halve_counted_limits();
		if (unshare(CLONE_NEWUSER) < 0)
			return fail(e, "make the lab's user namespace: unshare");
		reply(sv.control, id, NULL, NULL, 0);
		if (next_control(&c, e) < 0)
			return -1;
		id = c.mapped;
		free_control(&c);
		if (id == 0)
			return failx(e, "netlab's second request is not Mapped");
		/* Root of the lab's namespace, which the exec keeps: root there,
		 * it starts again with every capability in it. */
		if (become && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
			return fail(e, "become the lab's root");
		snprintf(env, sizeof(env), MAPPED_ENV "%lld", (long long)id);
		execve("/proc/self/exe", argv, envp);
		return fail(e, "start again in the lab's user namespace: execve");
	}
	id = atoll(mapped);
	/* Nothing without capabilities in the lab's user namespace may read
	 * or write this process; no node has any there. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Namespaces of its own, all of them: the supervisor holds every
	 * capability over the lab, so nothing of the host's may be in reach
	 * of it either (its network has only a loopback that is down). */
	if (unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP) < 0)
		return fail(e, "make the lab's namespaces: unshare");
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, NULL, NULL, NULL, NULL);
	if (pid < 0)
		return fail(e, "start the supervisor: clone");
	if (pid == 0) {
		unsetenv("NETLAB_MAPPED");
		return 0;
	}
	struct msg_writer w = {0};
	msg_put_int(&w, T_REPLY_ID, id);
	msg_put_int(&w, T_REPLY_PID, pid);
	send_msg(sv.control, &w, NULL, 0);
	msg_free(&w);
	_exit(0);
}

/* copy_etc_file copies the host's world-readable src to dst in the
 * skeleton, owned by node root, with its permission bits (no set-id) and
 * times. A file that cannot be read after all is left to the host's layer. */
static int copy_etc_file(const char *src, const char *dst, const struct stat *st, struct err *e)
{
	off_t left = st->st_size;
	int in = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), out;
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if (in < 0)
		return 0;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return fail(e, "make the /etc skeleton: %s", dst);
	}
	/* A file that grew since the walk is copied only as far as it was. */
	while (left > 0) {
		ssize_t n = sendfile(out, in, NULL, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			close(in);
			close(out);
			return fail(e, "make the /etc skeleton: %s", dst);
		}
		if (n <= 0)
			break;
		left -= n;
	}
	close(in);
	if (fchown(out, NODE_ROOT_ID, NODE_ROOT_ID) < 0 || fchmod(out, st->st_mode & 0777) < 0) {
		close(out);
		return fail(e, "make the /etc skeleton: %s", dst);
	}
	futimens(out, times);
	close(out);
	return 0;
}

/* skeleton_dir copies what of the host's directory src anyone may read
 * into dst: see build_skeleton. */
static int skeleton_dir(const char *src, const char *dst, long *budget, struct err *e)
{
	struct dirent **names;
	int n = scandir(src, &names, NULL, alphasort), r = 0;
	if (n < 0)
		return 0; /* unreadable: it stays as the host has it */
	for (int i = 0; i < n && r == 0; i++) {
		const char *name = names[i]->d_name;
		char s[4096], d[4096];
		struct stat st;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (snprintf(s, sizeof(s), "%s/%s", src, name) >= (int)sizeof(s) ||
		    snprintf(d, sizeof(d), "%s/%s", dst, name) >= (int)sizeof(d))
			continue;
		if (lstat(s, &st) < 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			if ((st.st_mode & 004) == 0 || st.st_size > ETC_COPY_MAX || st.st_size > *budget)
				continue;
			*budget -= st.st_size;
			r = copy_etc_file(s, d, &st, e);
		} else if (S_ISDIR(st.st_mode) && (st.st_mode & 005) != 005) {
			/* Hidden from everyone but its owner on the host: the node
			 * gets an empty directory of its own in its place. */
			if (mkdir(d, 0755) < 0 || chown(d, NODE_ROOT_ID, NODE_ROOT_ID) < 0 ||
			    setxattr(d, "user.overlay.opaque", "y", 1, 0) < 0)
				r = fail(e, "make the /etc skeleton: %s", d);
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(d, st.st_mode & 07777) < 0 || chown(d, NODE_ROOT_ID, NODE_ROOT_ID) < 0 ||
			    chmod(d, st.st_mode & (0777 | S_ISVTX | S_ISGID)) < 0)
				r = fail(e, "make the /etc skeleton: %s", d);
			else
				r = skeleton_dir(s, d, budget, e);
		}
		/* Symlinks and the rest stay as the host has them. */
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/* build_skeleton makes ETC_SKELETON: a copy of what of the host's /etc any
 * host user may read, owned by node root, and the lab's hosts file. Every
 * node's /etc overlay has it as its upper lower layer, over the host's
 * /etc: a merged entry takes its owner from the uppermost layer that has
 * it, so node root owns every directory and every public file of its /etc
 * and may edit anything in it (copy-up into the node's own layer), never
 * changing the host's; /etc/hosts is one file for the whole lab until a
 * node edits its own. What the copy leaves out keeps its host owner: a
 * secret such as /etc/shadow stays unreadable. A host directory that is
 * not open to everyone (/etc/ssl/private, /etc/frr) is an empty, opaque
 * one of the node's own instead. Built once per lab (~2 MB and a few ms
 * for a Debian /etc); it costs a node nothing. */
static int build_skeleton(int hosts, struct err *e)
{
	long budget = ETC_COPY_BUDGET;
	struct stat st;
	int out;
	if (mkdir(ETC_SKELETON, 0755) < 0 || chown(ETC_SKELETON, NODE_ROOT_ID, NODE_ROOT_ID) < 0)
		return fail(e, "make the /etc skeleton");
	if (skeleton_dir("/etc", ETC_SKELETON, &budget, e) < 0)
		return -1;
	unlink(ETC_SKELETON "/hosts");
	out = open(ETC_SKELETON "/hosts", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return fail(e, "write the lab's /etc/hosts");
	for (off_t left = hosts >= 0 && fstat(hosts, &st) == 0 ? st.st_size : 0; left > 0;) {
		ssize_t n = sendfile(out, hosts, NULL, (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(out);
			return n < 0 ? fail(e, "write the lab's /etc/hosts") : failx(e, "write the lab's /etc/hosts: it shrank");
		}
		left -= n;
	}
	if (fchown(out, NODE_ROOT_ID, NODE_ROOT_ID) < 0 || fchmod(out, 0644) < 0) {
		close(out);
		return fail(e, "write the lab's /etc/hosts");
	}
	close(out);
	return 0;
}

/* setup_shared makes, in the supervisor's mount and user namespaces (every
 * node's mount namespace starts as a copy of that one), what all nodes
 * share: the lab's bounds (/proc/sys/user), the host's tree read-only, the
 * /etc skeleton on a tmpfs of the lab's, the hidden directories, a sysfs
 * of the supervisor's empty network namespace (what a node finds below
 * the one it mounts), and LAB_PROC. */
static int setup_shared(struct setup_req *s, int hosts, struct err *e)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	const unsigned long noexec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	/* Node root is an unprivileged host uid, but any host directory that
	 * anyone may write (/var/crash, a scratch disk) would be a way out of
	 * the node. Read-only here, and locked so in each node's copy. */
	struct strv caps = s->caps;
	/* The lab's bounds, before any node runs: what its nodes make is
	 * counted, at this user namespace's level, against the lab's root. */
	for (size_t i = 0; i < caps.n; i++) {
		const char *kv = caps.v[i], *eq = strchr(kv, '=');
		char path[128];
		if (eq == NULL || eq == kv || eq - kv > 64 || strchr(kv, '/') != NULL || strstr(kv, "..") != NULL)
			return failx(e, "lab cap %s: bad key", kv);
		snprintf(path, sizeof(path), "/proc/sys/user/%.*s", (int)(eq - kv), kv);
		if (write_file(path, eq + 1, strlen(eq + 1)) < 0)
			return fail(e, "lab cap %s", kv);
	}
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		return fail(e, "make the host's tree read-only: mount_setattr");
	if (mount("tmpfs", "/run", "tmpfs", noexec, "mode=0755") < 0)
		return fail(e, "mount tmpfs for the /etc skeleton: mount");
	if (build_skeleton(hosts, e) < 0)
		return -1;
	for (size_t i = 0; i < s->hide.n; i++) {
		const char *dir = s->hide.v[i];
		if (dir[0] != '/' || !is_real_dir(dir))
			continue;
		if (mount("tmpfs", dir, "tmpfs", noexec | MS_RDONLY, "mode=0755,size=4k") < 0)
			return fail(e, "hide %s: mount", dir);
	}
	/* Not read-only: a node's agent may mount a sysfs of its own over it
	 * only where the kernel sees one no more restricted than that. */
	if (mount("sysfs", "/sys", "sysfs", noexec, NULL) < 0)
		return fail(e, "mount sysfs on /sys: mount");
	if (mkdir(HELD_DIR, 0700) < 0)
		return fail(e, "make %s", HELD_DIR);
	if (mkdir(LAB_PROC, 0700) < 0 || mount("proc", LAB_PROC, "proc", noexec, NULL) < 0)
		return fail(e, "mount the lab's own /proc: mount");
	return 0;
}

/* setup_lab sets up what all nodes share. The supervisor's own part is
 * the lab's RLIMIT_NPROC, which every node inherits; the rest
 * (setup_shared) a child of it does, in the same mount and user
 * namespaces, and reports its error through a pipe: whatever memory that
 * takes is the child's, and the supervisor stays small, so each clone of
 * it (a node) copies little. */
static int setup_lab(struct setup_req *s, int hosts, struct err *e)
{
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;
	if (s->nproc > 0) {
		struct rlimit rl = {.rlim_cur = (rlim_t)s->nproc, .rlim_max = (rlim_t)s->nproc};
		if (setrlimit(RLIMIT_NPROC, &rl) < 0)
			return fail(e, "set the lab's RLIMIT_NPROC to %lld: setrlimit", (long long)s->nproc);
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return fail(e, "set up the lab: pipe");
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return fail(e, "set up the lab: fork");
	}
	if (pid == 0) {
		close(pipefd[0]);
		if (setup_shared(s, hosts, e) < 0) {
			write_all(pipefd[1], e->msg, strlen(e->msg));
			_exit(1);
		}
		_exit(0);
	}
	close(pipefd[1]);
	do
		n = read(pipefd[0], e->msg, sizeof(e->msg) - 1);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	e->msg[n > 0 ? n : 0] = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (e->msg[0] != 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return failx(e, "set up the lab: its child ended with status %#x", status);
	if (make_holder(e) < 0)
		return -1;
	sv.ready = 1;
	return 0;
}

static void add_pending(int conn, const struct spawn_req *s, int sock, int pidfd, struct node_rec *node)
{
	struct pending *p = realloc(sv.pending, (sv.npending + 1) * sizeof(*p));
	if (p == NULL) {
		/* Tell netlab, and let the node die with its socket: it is
		 * reaped as a node that exited. */
		reply(conn, s->id, "out of memory", NULL, 0);
		kill(node->pid, SIGKILL);
		close(sock);
		close(pidfd);
		return;
	}
	sv.pending = p;
	p = &sv.pending[sv.npending++];
	p->id = s->id;
	p->conn = conn;
	p->sock = sock;
	p->pidfd = pidfd;
	p->held = s->held;
	p->mapped = 0;
	p->node = node;
	p->deadline_ms = now_ms() + READY_TIMEOUT_MS;
}

/* spawn clones a node, for the first time or (Held) into the namespaces
 * it had. fds are the packet's: the exec socket, then one detached mount
 * per bind with Tree set, then the cgroup.procs files of the node's
 * cgroup. */
static void spawn(int conn, struct spawn_req *s, int *fds, int nfds)
{
	char err[ERRLEN];
	int pair[2], pidfd = -1, trees = 0, k = 1, nheld = 0;
	struct node_rec *rec = find_node(s->node);
	pid_t pid;
	for (size_t i = 0; i < s->nbinds; i++)
		trees += s->binds[i].tree;
	if (!sv.ready) {
		snprintf(err, sizeof(err), "node %s: the lab is not set up", s->node);
		goto refuse;
	}
	if (!s->held && rec != NULL) {
		snprintf(err, sizeof(err), "node %s was started already; stop it and start it again, or restart it", s->node);
		goto refuse;
	}
	if (s->held && (rec == NULL || !rec->held)) {
		snprintf(err, sizeof(err), "node %s has no namespaces held: it never started", s->node);
		goto refuse;
	}
	if (s->held && rec->pid != 0) {
		snprintf(err, sizeof(err), "node %s runs; stop it first", s->node);
		goto refuse;
	}
	for (size_t i = 0; i < s->nlayer; i++) {
		/* Ids of the node's, which the node writes as lab ids (plus
		 * NODE_ROOT_ID): none past the node's range, where that sum
		 * would wrap to (uid_t)-1, which chown takes for "leave it". */
		const struct layer_file *f = &s->layer[i];
		if (f->uid < 0 || f->uid > MAX_NODE_ID || f->gid < 0 || f->gid > MAX_NODE_ID) {
			snprintf(err, sizeof(err), "node %s: layer file %s: owner %lld:%lld, want ids of the node's (0 to %d)",
				 s->node, f->path, (long long)f->uid, (long long)f->gid, MAX_NODE_ID);
			goto refuse;
		}
	}
	if (nfds != 1 + trees + s->cgroups) {
		snprintf(err, sizeof(err), "node %s: spawn request carried %d files, want %lld", s->node, nfds, 1 + trees + (long long)s->cgroups);
		goto refuse;
	}
	for (size_t i = 0; i < s->nbinds; i++)
		if (s->binds[i].tree)
			s->binds[i].fd = fds[k++];
	s->listen_fd = fds[0];
	s->cgroup_fds = fds + k; /* the last s->cgroups; fds outlives the clone */
	if (s->held) {
		s->held_netns = open_held(rec, &s->held_userns);
		if (s->held_netns < 0) {
			snprintf(err, sizeof(err), "node %s: open its held namespaces: %s", s->node, errtext(errno));
			goto refuse;
		}
		nheld = 2;
	}
	if (rec == NULL) {
		rec = add_node(s->node);
		if (rec == NULL) {
			snprintf(err, sizeof(err), "node %s: out of memory", s->node);
			goto refuse;
		}
		s->node = NULL; /* the record's now */
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		snprintf(err, sizeof(err), "node %s: control socket: %s", rec->name, errtext(errno));
		goto refuse_node;
	}
	pid = clone_pidfd(CLONE_NEWNS | CLONE_NEWPID, &pidfd);
	if (pid < 0) {
		snprintf(err, sizeof(err), "node %s: start it: clone: %s", rec->name, errtext(errno));
		close(pair[0]);
		close(pair[1]);
		goto refuse_node;
	}
	if (pid == 0) {
		int keep[MAX_FILES + 3];
		int n = 0;
		if (s->node == NULL)
			s->node = rec->name; /* the clone's copy of memory holds it */
		keep[n++] = pair[1];
		for (int i = 0; i < nfds; i++)
			keep[n++] = fds[i];
		if (s->held) {
			keep[n++] = s->held_userns;
			keep[n++] = s->held_netns;
		}
		close_except(keep, n);
		init_main(s, pair[1]);
	}
	close(pair[1]);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (nheld) {
		close(s->held_userns);
		close(s->held_netns);
	}
	rec->pid = pid;
	add_pending(conn, s, pair[0], pidfd, rec);
	return;
refuse_node:
	if (!rec->held)
		free_node(rec); /* it never ran: no node of the lab */
refuse:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (nheld) {
		close(s->held_userns);
		close(s->held_netns);
	}
	reply(conn, s->id, err, NULL, 0);
}

/* write_node_map maps node ids 0.. to the lab's ids NODE_ROOT_ID.. in
 * the user namespace of the node pid made, as far as the supervisor's own
 * map (uid_map or gid_map) lists them: node root is never the lab's root.
 * The ids must lie in one extent of the lab's map, as the kernel takes a
 * child's extent only so (a rootless lab maps lab root to the user and lab
 * ids 1.. to the user's subordinate range: node ids are all subordinate
 * ones). */
static int write_node_map(pid_t pid, const char *which, struct err *e)
{
	char own[64], path[64], map[64];
	unsigned long inside, outside, count;
	int n, got;
	FILE *f;
	snprintf(own, sizeof(own), "/proc/self/%s", which);
	/* Read to its end, a line at a time: a map may have hundreds of
	 * extents, more than any one read would take. */
	f = fopen(own, "re");
	if (f == NULL)
		return fail(e, "read %s", own);
	while ((got = fscanf(f, "%lu %lu %lu", &inside, &outside, &count)) == 3) {
		if (inside <= NODE_ROOT_ID && NODE_ROOT_ID < inside + count) {
			fclose(f);
			n = snprintf(map, sizeof(map), "0 %d %lu\n", NODE_ROOT_ID, inside + count - NODE_ROOT_ID);
			snprintf(path, sizeof(path), LAB_PROC "/%d/%s", (int)pid, which);
			if (write_file(path, map, (size_t)n) < 0)
				return fail(e, "map the node's user namespace: write its %s", which);
			return 0;
		}
	}
	fclose(f);
	if (got != EOF)
		return failx(e, "read %s: a line that is no extent", own);
	return failx(e, "%s maps no id %d for node root", own, NODE_ROOT_ID);
}

/* map_pending maps pending node i's user namespace once it says it made
 * it (a one-byte packet, "u"), and tells it so ("m"). It returns 1 when
 * that was the packet, 0 when the packet is something else (the node's
 * report), -1 with why in e when the node cannot go on. A node started
 * into its held namespaces has its maps already: it never asks. */
static int map_pending(size_t i, struct err *e)
{
	struct pending *p = &sv.pending[i];
	char c[2];
	ssize_t n = recv(p->sock, c, sizeof(c), MSG_PEEK);
	if (n != 1 || c[0] != 'u')
		return 0;
	recv(p->sock, c, 1, 0);
	if (p->held || p->mapped)
		return failx(e, "it asked for the maps of a user namespace that has them");
	if (write_node_map(p->node->pid, "uid_map", e) < 0 || write_node_map(p->node->pid, "gid_map", e) < 0)
		return -1;
	p->mapped = 1;
	if (write_all(p->sock, "m", 1) < 0)
		return fail(e, "tell it its maps are written");
	return 1;
}

/* same_ns reports whether descriptors a and b name the same namespace. */
static int same_ns(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* held_by reports whether userns and netns are node r's held namespaces. */
static int held_by(const struct node_rec *r, int userns, int netns)
{
	int u, n = open_held(r, &u), same;
	if (n < 0)
		return 0;
	same = same_ns(userns, u) && same_ns(netns, n);
	close(u);
	close(n);
	return same;
}

/* finish ends pending node i: its ready report came (why NULL), or it
 * failed for why. The report carries the node's user and network
 * namespaces: held from a node's first start on, and checked on a held
 * one's. */
static void finish(size_t i, const struct err *why)
{
	struct pending *p = &sv.pending[i];
	struct node_rec *rec = p->node;
	struct err e = {{0}};
	char msg[ERRLEN + 64];
	int fds[2], nfds = 0, ok = 0;
	if (why != NULL)
		e = *why;
	else if (recv_ready(p->sock, fds, 2, &nfds, &e) < 0)
		;
	else if (nfds != 2)
		failx(&e, "ready report carried %d files, want its user and network namespaces", nfds);
	else if (rec->pid == 0)
		failx(&e, "it exited as it became ready");
	else if (rec->held && !held_by(rec, fds[0], fds[1]))
		failx(&e, "it is not in the node's held namespaces");
	else if (!rec->held && hold(rec, fds[1], &e) < 0)
		;
	else
		ok = 1;
	if (ok) {
		reply(p->conn, p->id, NULL, &p->pidfd, 1);
		emit("started", rec->name, 0);
	} else {
		snprintf(msg, sizeof(msg), "node %s: %s", rec->name, e.msg);
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
		reply(p->conn, p->id, msg, NULL, 0);
	}
	for (int k = 0; k < nfds; k++)
		close(fds[k]);
	close(p->sock);
	close(p->pidfd);
	sv.pending[i] = sv.pending[--sv.npending];
	if (!ok && !rec->held) {
		/* It never ran: no node of the lab. Its process, killed, is
		 * reaped as an orphan of none. */
		free_node(rec);
	}
}

/* stop kills a node's process, and with it every process of the node (it
 * is PID 1 of their PID namespace); the answer waits for the reaper. The
 * node's namespaces stay held. A node that is not running has nothing to
 * stop: answered at once. */
static void stop(int conn, const struct node_op *op)
{
	struct node_rec *rec = find_node(op->node);
	char err[ERRLEN];
	if (rec == NULL) {
		snprintf(err, sizeof(err), "no node %s in this lab", op->node);
		reply(conn, op->id, err, NULL, 0);
		return;
	}
	if (rec->pid == 0) {
		reply(conn, op->id, NULL, NULL, 0);
		return;
	}
	if (rec->stop_conn >= 0) {
		snprintf(err, sizeof(err), "node %s is being stopped already", op->node);
		reply(conn, op->id, err, NULL, 0);
		return;
	}
	/* Its child, not reaped yet (reap clears pid): the pid is its own. */
	if (kill(rec->pid, SIGKILL) < 0 && errno != ESRCH) {
		snprintf(err, sizeof(err), "stop node %s: kill: %s", op->node, errtext(errno));
		reply(conn, op->id, err, NULL, 0);
		return;
	}
	rec->stop_conn = conn;
	rec->stop_id = op->id;
}

/* open_netlink opens a NETLINK_ROUTE socket of this process's network
 * namespace, or says why not in err. */
static int open_netlink(char *err, size_t errlen)
{
	int fd = netlink_route_socket();
	if (fd < 0)
		snprintf(err, errlen, "netlink socket: %s", errtext(errno));
	return fd;
}

static void netlink(int conn, int64_t id)
{
	char err[ERRLEN];
	int fd = open_netlink(err, sizeof(err));
	if (fd < 0) {
		reply(conn, id, err, NULL, 0);
		return;
	}
	reply(conn, id, NULL, &fd, 1);
	close(fd);
}

/* node_netlink opens a netlink socket in a node's held network namespace:
 * this process enters it for the socket() call and comes back. */
static void node_netlink(int conn, const struct node_op *op)
{
	struct node_rec *rec = find_node(op->node);
	char err[ERRLEN];
	int fd, netns;
	if (rec == NULL || !rec->held) {
		snprintf(err, sizeof(err), "no node %s with a network namespace in this lab", op->node);
		reply(conn, op->id, err, NULL, 0);
		return;
	}
	netns = open_held(rec, NULL);
	if (netns < 0 || setns(netns, CLONE_NEWNET) < 0) {
		snprintf(err, sizeof(err), "node %s: enter its network namespace: %s", op->node, errtext(errno));
		if (netns >= 0)
			close(netns);
		reply(conn, op->id, err, NULL, 0);
		return;
	}
	close(netns);
	fd = open_netlink(err, sizeof(err));
	if (setns(sv.own_netns, CLONE_NEWNET) < 0) {
		/* Its own links would be made in a node's: the lab goes. */
		fprintf(stderr, "netlab supervisor %s: back to its network namespace: setns: %s\n", sv.lab, errtext(errno));
		exit(1);
	}
	if (fd < 0) {
		reply(conn, op->id, err, NULL, 0);
		return;
	}
	reply(conn, op->id, NULL, &fd, 1);
	close(fd);
}

/* request handles one packet from netlab on connection fd: up's control
 * connection (sv.control) or a later one. It returns -1 when the
 * connection is gone. */
static int request(int fd)
{
	unsigned char *buf;
	int fds[MAX_FILES], nfds;
	ssize_t n = recv_msg(fd, &buf, fds, MAX_FILES, &nfds);
	struct control c;
	char err[ERRLEN];
	if (n < 0 && (errno == EMSGSIZE || errno == EPROTO)) {
		fprintf(stderr, "netlab supervisor %s: a bad packet from netlab: %s\n", sv.lab, errtext(errno));
		return 0;
	}
	if (n < 0 || buf == NULL) {
		if (fd == sv.control)
			fprintf(stderr, "netlab supervisor %s: control connection: %s; taking the lab down\n",
				sv.lab, n < 0 ? errtext(errno) : "closed");
		return -1;
	}
	if (decode_control(buf, (size_t)n, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "netlab supervisor %s: a bad request from netlab: %s\n", sv.lab, err);
		free(buf);
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return 0;
	}
	free(buf);
	if (c.setup != NULL) {
		struct err e = {{0}};
		int want = c.setup->listen ? 1 : 0;
		if (fd != sv.control)
			failx(&e, "setup is for up's connection");
		else if (sv.ready)
			failx(&e, "the lab is set up already");
		else if (nfds != want && nfds != want + 1)
			failx(&e, "setup carried %d files, want the hosts file%s", nfds, want ? " and a listening socket" : "");
		else if (setup_lab(c.setup, nfds > want ? fds[0] : -1, &e) == 0 && want) {
			sv.listen = fds[nfds - 1];
			fds[nfds - 1] = -1;
			fcntl(sv.listen, F_SETFL, fcntl(sv.listen, F_GETFL) | O_NONBLOCK);
		}
		for (int i = 0; i < nfds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		reply(fd, c.setup->id, e.msg, NULL, 0);
	} else if (c.spawn != NULL) {
		spawn(fd, c.spawn, fds, nfds);
	} else {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		if (c.netlink != 0) {
			netlink(fd, c.netlink);
		} else if (c.stop != NULL) {
			stop(fd, c.stop);
		} else if (c.node_netlink != NULL) {
			node_netlink(fd, c.node_netlink);
		} else if (c.watch != 0) {
			for (size_t i = 0; i < sv.nconns; i++)
				if (sv.conns[i].fd == fd)
					sv.conns[i].watch = 1;
			reply(fd, c.watch, fd == sv.control ? "watch on a connection of its own" : NULL, NULL, 0);
		} else if (c.detach && fd == sv.control) {
			struct msg_writer w = {0};
			msg_put_int(&w, T_REPLY_DETACHED, 1);
			send_msg(sv.control, &w, NULL, 0);
			msg_free(&w);
			forget_conn(sv.control);
			close(sv.control);
			sv.control = -1;
			/* Nothing a node does may reach the host's log from now on. */
			quiet_stdio();
		} else {
			fprintf(stderr, "netlab supervisor %s: a request out of place\n", sv.lab);
		}
	}
	free_control(&c);
	return 0;
}

/* accept_conn takes a connection on the listening socket. A client that
 * does not read its answers stalls the supervisor for at most this long,
 * then loses them. */
static void accept_conn(void)
{
	struct timeval tv = {.tv_sec = 5};
	struct conn *more;
	int fd = accept4(sv.listen, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	more = realloc(sv.conns, (sv.nconns + 1) * sizeof(*more));
	if (more == NULL) {
		close(fd);
		return;
	}
	sv.conns = more;
	sv.conns[sv.nconns++] = (struct conn){.fd = fd};
}

static void drop_conn(size_t i)
{
	forget_conn(sv.conns[i].fd);
	close(sv.conns[i].fd);
	sv.conns[i] = sv.conns[--sv.nconns];
}

/* reap waits for every child that has ended: nodes, and orphans of the
 * lab's PID namespace, which come to its PID 1. A node's process ending is
 * its node's end: watchers hear of it, and a Stop that waited for it is
 * answered. */
static void reap(void)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;
	while (read(sv.sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD)
			exit(0); /* SIGTERM, SIGINT or SIGHUP: the lab goes */
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct node_rec *rec = NULL;
		int started = 1;
		for (size_t i = 0; i < sv.nnodes && rec == NULL; i++)
			if (sv.nodes[i]->pid == pid)
				rec = sv.nodes[i];
		if (rec == NULL)
			continue;
		/* One that never reported ready is no node that ended: its
		 * pending start says why (its socket closed with it). */
		for (size_t i = 0; i < sv.npending; i++)
			if (sv.pending[i].node == rec)
				started = 0;
		rec->pid = 0;
		if (started)
			emit(rec->stop_conn >= 0 ? "stopped" : "exited", rec->name, wait_code(status));
		if (rec->stop_conn >= 0) {
			reply(rec->stop_conn, rec->stop_id, NULL, NULL, 0);
			rec->stop_conn = -1;
		}
	}
}

/* What each polled descriptor is. */
enum polled { P_SIGNALS, P_CONTROL, P_LISTEN, P_CONN, P_PENDING };

int supervisor_main(char **argv)
{
	struct err e = {{0}};
	struct pollfd *p = NULL;
	enum polled *what = NULL;
	size_t npoll = 0;
	sigset_t mask;
	sv.lab = argv[2] != NULL ? argv[2] : "?";
	if (begin_lab(argv, &e) < 0) {
		fprintf(stderr, "netlab supervisor %s: %s\n", sv.lab, e.msg);
		/* netlab waits for an answer to its last request: this is it. */
		reply(sv.control, 0, e.msg, NULL, 0);
		return 1;
	}
	prctl(PR_SET_NAME, "netlab-super", 0, 0, 0);
	/* It holds a few descriptors whatever the lab's size (the nodes'
	 * namespaces are held by mount, HELD_DIR), but the requests in flight
	 * carry files (up to MAX_FILES each): as many as its hard limit lets
	 * it, whatever soft limit netlab was started with. Each node goes back
	 * to the soft limit it was given (init_main). */
	if (getrlimit(RLIMIT_NOFILE, &node_nofile) == 0) {
		struct rlimit all = {.rlim_cur = node_nofile.rlim_max, .rlim_max = node_nofile.rlim_max};
		setrlimit(RLIMIT_NOFILE, &all);
	}
	/* Host mount events have no business reaching the lab. */
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fail(&e, "make mounts private: mount");
		fprintf(stderr, "netlab supervisor %s: %s\n", sv.lab, e.msg);
		return 1;
	}
	sv.own_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sv.own_netns < 0) {
		fprintf(stderr, "netlab supervisor %s: open its network namespace: %s\n", sv.lab, errtext(errno));
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sv.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sv.sigfd < 0) {
		fprintf(stderr, "netlab supervisor %s: signalfd: %s\n", sv.lab, errtext(errno));
		return 1;
	}
	for (;;) {
		long long next = -1, now;
		int timeout = -1, r;
		size_t n = 0, want = 3 + sv.nconns + sv.npending, nconns = sv.nconns;
		if (npoll < want) {
			struct pollfd *more = realloc(p, want * sizeof(*p));
			enum polled *kinds = more ? realloc(what, want * sizeof(*kinds)) : NULL;
			if (more != NULL)
				p = more;
			if (kinds == NULL) {
				sleep(1);
				continue;
			}
			what = kinds;
			npoll = want;
		}
		what[n] = P_SIGNALS;
		p[n++] = (struct pollfd){.fd = sv.sigfd, .events = POLLIN};
		if (sv.control >= 0) {
			what[n] = P_CONTROL;
			p[n++] = (struct pollfd){.fd = sv.control, .events = POLLIN};
		}
		if (sv.listen >= 0) {
			what[n] = P_LISTEN;
			p[n++] = (struct pollfd){.fd = sv.listen, .events = POLLIN};
		}
		for (size_t i = 0; i < nconns; i++) {
			what[n] = P_CONN;
			p[n++] = (struct pollfd){.fd = sv.conns[i].fd, .events = POLLIN};
		}
		for (size_t i = 0; i < sv.npending; i++) {
			what[n] = P_PENDING;
			p[n++] = (struct pollfd){.fd = sv.pending[i].sock, .events = POLLIN};
			if (next < 0 || sv.pending[i].deadline_ms < next)
				next = sv.pending[i].deadline_ms;
		}
		if (next >= 0) {
			now = now_ms();
			timeout = next > now ? (int)(next - now) : 0;
		}
		r = poll(p, n, timeout);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "netlab supervisor %s: poll: %s\n", sv.lab, errtext(errno));
			break;
		}
		if (r > 0 && p[0].revents)
			reap();
		/* As PID 1, its exit ends every process of the lab. */
		if (r > 0 && n > 1 && what[1] == P_CONTROL && p[1].revents && request(sv.control) < 0)
			break;
		/* Connections from the end: drop_conn moves the last one into
		 * the place it frees. A watcher sends nothing: anything from it
		 * is its end. */
		for (size_t j = n; r > 0 && j-- > 0;) {
			if (what[j] != P_CONN || p[j].revents == 0)
				continue;
			for (size_t i = 0; i < sv.nconns; i++) {
				if (sv.conns[i].fd != p[j].fd)
					continue;
				if (sv.conns[i].watch || request(p[j].fd) < 0)
					drop_conn(i);
				break;
			}
		}
		for (size_t j = 0; r > 0 && j < n; j++)
			if (what[j] == P_LISTEN && p[j].revents)
				accept_conn();
		/* Pending nodes that answered or ran out of time, from the end:
		 * finish moves the last one into the place it frees. */
		now = now_ms();
		for (size_t i = sv.npending; i-- > 0;) {
			struct err why = {{0}};
			int answered = 0, m = 0;
			for (size_t j = 0; j < n; j++)
				if (what[j] == P_PENDING && p[j].fd == sv.pending[i].sock && p[j].revents)
					answered = 1;
			if (answered)
				m = map_pending(i, &why);
			if (m < 0) {
				finish(i, &why);
			} else if (answered && m == 0) {
				finish(i, NULL);
			} else if (!answered && sv.pending[i].deadline_ms <= now) {
				failx(&why, "not ready after %d s", READY_TIMEOUT_MS / 1000);
				finish(i, &why);
			}
		}
	}
	free(p);
	free(what);
	while (sv.npending > 0) {
		struct err why;
		failx(&why, "the lab's supervisor ended before it was ready");
		finish(sv.npending - 1, &why);
	}
	free(sv.pending);
	while (sv.nconns > 0)
		drop_conn(sv.nconns - 1);
	free(sv.conns);
	while (sv.nnodes > 0)
		free_node(sv.nodes[sv.nnodes - 1]);
	free(sv.nodes);
	return 1;
}
