//go:build !netlab_protogen

/* A node's init: PID 1 of the node's PID and mount namespaces, in the
 * lab's user namespace, cloned by the supervisor with its request in
 * memory. It builds the node's view of the filesystem, then clones the
 * node's agent in a user namespace of the node's own (nested in the lab's,
 * mapping the same ids from lab id 1), with the node's network, UTS, IPC
 * and cgroup namespaces and a copy of the mount namespace it built. That
 * copy is made by a less privileged user namespace, so the kernel locks
 * every mount in it: node root can neither unmount nor remount what the
 * init set up, and cannot ptrace the init, which holds capabilities over
 * the whole lab (it is not dumpable, and node root has none in the lab's
 * namespace). The init then only waits, and ends with the agent. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "msg.h"
#include "node.h"
#include "protocol.h"

/* How long an agent may take to set itself up. */
#define AGENT_READY_TIMEOUT_MS 20000

/* Where the init builds the upper and work directories of its /etc
 * overlay: a tmpfs of its own, mounted on /run and then covered by the
 * node's real /run, so it is out of sight but needs no unmount (which
 * would wait for an RCU grace period). */
#define LAYER_ROOT "/run/.netlab-layer"

#define NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define NOSUID (MS_NOSUID | MS_NODEV)

/* The tmpfs option that gives a fresh tmpfs to node root. */
#define NODE_ROOT_OWNS "uid=1,gid=1"

static int is_real_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

struct mnt {
	const char *fstype, *target;
	unsigned long flags;
	const char *data;
	int optional; /* skipped unless the target is a real directory here */
};

/* tmpfs_size is the size= option of every tmpfs of the node: a node that
 * fills one gets ENOSPC, rather than the lab's memory limit killing its
 * processes. Empty for the kernel's default. */
static char tmpfs_size[32];

static int do_mounts(const struct mnt *m, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		char data[128];
		if (m[i].optional && !is_real_dir(m[i].target))
			continue;
		snprintf(data, sizeof(data), "%s%s%s", m[i].data ? m[i].data : "",
			 strcmp(m[i].fstype, "tmpfs") == 0 && tmpfs_size[0] ? "," : "",
			 strcmp(m[i].fstype, "tmpfs") == 0 ? tmpfs_size : "");
		if (mount(m[i].fstype, m[i].target, m[i].fstype, m[i].flags, data[0] ? data : NULL) < 0)
			return fail(e, "mount %s on %s: mount", m[i].fstype, m[i].target);
	}
	return 0;
}

/* write_new writes a new file at path, owned by node root. */
static int write_new(const char *path, const void *data, size_t len, mode_t mode, int64_t uid, int64_t gid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), err;
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0 || fchown(fd, (uid_t)uid, (gid_t)gid) < 0 || fchmod(fd, mode) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

/* write_layer writes the node's /etc layer under dir, with its modes and
 * owners; its directories are opaque (see NodeConfig.Layer). */
static int write_layer(const char *dir, const struct spawn_req *s, struct err *e)
{
	for (size_t i = 0; i < s->nlayer; i++) {
		const struct layer_file *f = &s->layer[i];
		char p[4096];
		const char *rel = f->path;
		uid_t uid = (uid_t)(f->uid + NODE_ROOT_ID);
		gid_t gid = (gid_t)(f->gid + NODE_ROOT_ID);
		while (*rel == '/')
			rel++;
		/* netlab names paths under /etc; nothing may climb out. */
		if (rel[0] == 0 || strstr(rel, "..") != NULL)
			return failx(e, "write /etc layer: %s: a bad path", f->path);
		snprintf(p, sizeof(p), "%s/%s", dir, rel);
		if (f->dir) {
			if (mkdir(p, 0700) < 0 || setxattr(p, "user.overlay.opaque", "y", 1, 0) < 0 ||
			    lchown(p, uid, gid) < 0 || chmod(p, f->mode & 07777) < 0)
				return fail(e, "write /etc layer: %s", f->path);
		} else if (write_new(p, f->data, f->len, f->mode & 07777, uid, gid) < 0) {
			return fail(e, "write /etc layer: %s", f->path);
		}
	}
	return 0;
}

/* mount_etc makes the node's /etc an overlay: the host's /etc below, the
 * lab's skeleton (with the lab's hosts file) over it, the node's own tmpfs
 * layer above, seeded with its hostname and the layer netlab prepared. The
 * node's writes to /etc land in its layer. */
static int mount_etc(const struct spawn_req *s, int skel, struct err *e)
{
	const char *upper = LAYER_ROOT "/etc", *work = LAYER_ROOT "/work";
	char opts[512], hostname[128];
	int n;
	if (mkdir(LAYER_ROOT, 0700) < 0 || mkdir(work, 0700) < 0 || mkdir(upper, 0755) < 0)
		return fail(e, "make /etc layer");
	n = snprintf(hostname, sizeof(hostname), "%s\n", s->hostname);
	if (n < 0 || (size_t)n >= sizeof(hostname))
		return failx(e, "write /etc/hostname: hostname too long");
	/* The upper directory is the merged /etc's own: node root's. */
	if (chown(upper, NODE_ROOT_ID, NODE_ROOT_ID) < 0 ||
	    write_new(LAYER_ROOT "/etc/hostname", hostname, (size_t)n, 0644, NODE_ROOT_ID, NODE_ROOT_ID) < 0)
		return fail(e, "write /etc/hostname");
	if (write_layer(upper, s, e) < 0)
		return -1;
	/* userxattr: in a user namespace overlayfs keeps its metadata, like
	 * the opaque marks, in user.overlay.* attributes. */
	snprintf(opts, sizeof(opts), "lowerdir=/proc/self/fd/%d:/etc,upperdir=%s,workdir=%s,userxattr", skel, upper, work);
	if (mount("overlay", "/etc", "overlay", NOSUID, opts) < 0)
		return fail(e, "mount overlay on /etc: mount");
	return 0;
}

/* The host's device nodes a node gets in its /dev, bound one by one (a
 * user namespace cannot make device nodes). Missing ones are left out.
 * Nothing else of the host's /dev is there: not its ptys, not its /dev/shm
 * or /dev/mqueue. */
static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty", "net/tun"};

/* mount_dev gives the node a /dev of its own: a tmpfs with the devices
 * above, /dev/shm as a directory of it, and a devpts instance of its own
 * that /dev/ptmx points at. It is built aside, on the layer tmpfs, while
 * the host's devices can still be bound, then moved over /dev. */
static int mount_dev(struct err *e)
{
	const char *dev = LAYER_ROOT "-dev";
	static const struct {
		const char *name;
		mode_t mode;
	} dirs[] = {{"pts", 0755}, {"shm", 01777}, {"net", 0755}};
	static const char *const links[][2] = {
		{"ptmx", "pts/ptmx"}, {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
	char p[256];
	if (mkdir(dev, 0755) < 0)
		return fail(e, "make /dev");
	snprintf(p, sizeof(p), "mode=0755," NODE_ROOT_OWNS "%s%s", tmpfs_size[0] ? "," : "", tmpfs_size);
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, p) < 0)
		return fail(e, "mount tmpfs for /dev: mount");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dev, dirs[i].name);
		if (mkdir(p, dirs[i].mode) < 0 || chmod(p, dirs[i].mode) < 0 || chown(p, NODE_ROOT_ID, NODE_ROOT_ID) < 0)
			return fail(e, "make /dev/%s", dirs[i].name);
	}
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		char src[64];
		struct stat st;
		int fd;
		snprintf(src, sizeof(src), "/dev/%s", devices[i]);
		if (stat(src, &st) < 0 || !S_ISCHR(st.st_mode))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dev, devices[i]);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			return fail(e, "make /dev/%s", devices[i]);
		close(fd);
		if (mount(src, p, NULL, MS_BIND, NULL) < 0)
			return fail(e, "bind /dev/%s: mount", devices[i]);
	}
	snprintf(p, sizeof(p), "%s/pts", dev);
	if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		return fail(e, "mount devpts on /dev/pts: mount");
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dev, links[i][0]);
		if (symlink(links[i][1], p) < 0)
			return fail(e, "make /dev/%s", links[i][0]);
	}
	if (mount(dev, "/dev", NULL, MS_MOVE, NULL) < 0)
		return fail(e, "move the node's /dev over /dev: mount");
	return 0;
}

/* make_target makes a bind's missing target where the node's view lets it
 * (its own /etc, /tmp, /run, /root...): a directory, or an empty file for
 * a file, with its missing parents, owned by node root. */
static int make_target(const char *target, int dir)
{
	char p[4096];
	struct stat st;
	if (lstat(target, &st) == 0)
		return 0;
	snprintf(p, sizeof(p), "%s", target);
	for (char *slash = strchr(p + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		if (mkdir(p, 0755) == 0)
			chown(p, NODE_ROOT_ID, NODE_ROOT_ID);
		else if (errno != EEXIST)
			return -1;
		*slash = '/';
	}
	if (dir)
		return mkdir(target, 0755) == 0 ? chown(target, NODE_ROOT_ID, NODE_ROOT_ID) : -1;
	int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	fchown(fd, NODE_ROOT_ID, NODE_ROOT_ID);
	return close(fd);
}

/* mount_binds mounts the node's binds, last, over everything else of its
 * view: a detached mount tree netlab made (root), or the host path as this
 * lab's root may reach it (rootless: the user). Each is read-only when
 * asked, writable otherwise (the host's tree below is read-only). */
static int mount_binds(const struct spawn_req *s, struct err *e)
{
	for (size_t i = 0; i < s->nbinds; i++) {
		const struct bind_spec *b = &s->binds[i];
		struct mount_attr attr = {0};
		struct stat st;
		int src_dir;
		if (b->tree ? fstat(b->fd, &st) < 0 : stat(b->source, &st) < 0)
			return fail(e, "bind %s: %s", b->target, b->source);
		src_dir = S_ISDIR(st.st_mode);
		if (make_target(b->target, src_dir) < 0)
			return fail(e, "bind %s: make the target in the node (the host's tree is read-only there: bind under /etc, /tmp, /run, /root or over an existing path)", b->target);
		if (b->tree) {
			if (syscall(SYS_move_mount, b->fd, "", AT_FDCWD, b->target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
				return fail(e, "bind %s on %s: move_mount", b->source, b->target);
		} else if (mount(b->source, b->target, NULL, MS_BIND | MS_REC, NULL) < 0) {
			return fail(e, "bind %s on %s: mount", b->source, b->target);
		}
		if (b->readonly)
			attr.attr_set = MOUNT_ATTR_RDONLY;
		else
			attr.attr_clr = MOUNT_ATTR_RDONLY;
		attr.attr_set |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
		if (syscall(SYS_mount_setattr, AT_FDCWD, b->target, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			return fail(e, "bind %s on %s: make it %s: mount_setattr", b->source, b->target,
				    b->readonly ? "read-only" : "writable");
	}
	return 0;
}

/* build_view gives the node its own view: its own /proc, an overlay on
 * /etc, its own /dev (with its own devpts), fresh tmpfs where daemons
 * write, and its binds. What every node shares (the host's tree read-only,
 * the skeleton, the hidden directories, /sys) the supervisor made once, in
 * the mount namespace this one is a copy of. The agent's copy of this one
 * locks all of it. */
static int build_view(const struct spawn_req *s, struct err *e)
{
	static const struct mnt first[] = {
		{"proc", "/proc", NOEXEC, NULL, 0},
		{"tmpfs", "/run", NOSUID, "mode=0755", 0}, /* holds LAYER_ROOT, then covered */
	};
	static const struct mnt last[] = {
		{"tmpfs", "/run", NOSUID, "mode=0755," NODE_ROOT_OWNS, 0},
		{"tmpfs", "/tmp", NOSUID, "mode=1777," NODE_ROOT_OWNS, 0},
		{"tmpfs", "/var/tmp", NOSUID, "mode=1777," NODE_ROOT_OWNS, 1},
		{"tmpfs", "/var/run", NOSUID, "mode=0755," NODE_ROOT_OWNS, 1},
		{"tmpfs", "/root", NOSUID, "mode=0700," NODE_ROOT_OWNS, 1},
	};
	/* This mount namespace's copy of the skeleton (overlayfs takes no
	 * layer of another one), held by descriptor: the node's /run covers
	 * it. */
	int skel = open(ETC_SKELETON, O_PATH | O_DIRECTORY | O_CLOEXEC), r;
	if (skel < 0)
		return fail(e, "open the /etc skeleton");
	if (s->tmpfs_size > 0)
		snprintf(tmpfs_size, sizeof(tmpfs_size), "size=%lld", (long long)s->tmpfs_size);
	r = do_mounts(first, 2, e) < 0 || mount_etc(s, skel, e) < 0 || mount_dev(e) < 0 ||
	    do_mounts(last, sizeof(last) / sizeof(last[0]), e) < 0 || mount_binds(s, e) < 0;
	close(skel);
	return r ? -1 : 0;
}

/* write_node_map maps node ids 0.. to this (the lab's) user namespace's
 * ids NODE_ROOT_ID.. as far as the map file (uid_map or gid_map of this
 * process) lists them, in the map of the agent's namespace: node root is
 * never the lab's root. The ids must lie in one extent of the lab's map,
 * as the kernel takes a child's extent only so (a rootless lab maps lab
 * root to the user and lab ids 1.. to the user's subordinate range: node
 * ids are all subordinate ones). */
static int write_node_map(const char *own, pid_t agent, const char *which, struct err *e)
{
	char buf[1024], path[64], map[64];
	int fd = open(own, O_RDONLY | O_CLOEXEC), n;
	ssize_t len;
	char *line, *save;
	if (fd < 0)
		return fail(e, "read %s", own);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return fail(e, "read %s", own);
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		unsigned long inside, outside, count;
		if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) != 3)
			return failx(e, "read %s: %s", own, line);
		if (inside <= NODE_ROOT_ID && NODE_ROOT_ID < inside + count) {
			n = snprintf(map, sizeof(map), "0 %d %lu\n", NODE_ROOT_ID, inside + count - NODE_ROOT_ID);
			snprintf(path, sizeof(path), "/proc/%d/%s", (int)agent, which);
			if (write_file(path, map, (size_t)n) < 0)
				return fail(e, "write the agent's %s", which);
			return 0;
		}
	}
	return failx(e, "%s maps no id %d for node root", own, NODE_ROOT_ID);
}

/* agent_main is the agent, just cloned: it waits for its maps, becomes
 * node root, sets the node up and serves. It never returns. */
static void agent_main(const struct spawn_req *s, int sock) __attribute__((noreturn));
static void agent_main(const struct spawn_req *s, int sock)
{
	struct err e = {{0}};
	char go;
	set_title("agent", s->node);
	if (read(sock, &go, 1) != 1)
		_exit(1);
	/* Root of the node's user namespace. Daemons that drop privileges
	 * call setgroups; every id of the lab is mapped, so allowing it gives
	 * away nothing. */
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		fail(&e, "become node root");
	/* Over the supervisor's /sys, which shows its empty network namespace:
	 * this one is not locked, and what unmounting it uncovers names no
	 * interface of the host's. */
	else if (mount("sysfs", "/sys", "sysfs", NOEXEC, NULL) < 0)
		fail(&e, "mount the node's own sysfs on /sys: mount");
	else if (sethostname(s->hostname, strlen(s->hostname)) < 0)
		fail(&e, "set hostname: sethostname");
	else if (write_sysctls(&s->sysctls, &e) < 0)
		;
	/* Orphans of the node's commands come here, not to the init: the
	 * init must never have to wait for what node root started. */
	else if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		fail(&e, "set child subreaper: prctl");
	if (send_ready(sock, &e, -1) < 0 || e.msg[0] != 0)
		_exit(1);
	close(sock);
	quiet_stdio();
	_exit(agent_serve(s->listen_fd, s->node));
}

/* start_agent clones the node's agent, maps its user namespace and waits
 * for its ready report. */
static int start_agent(const struct spawn_req *s, pid_t *pid, int *pidfd, struct err *e)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return fail(e, "agent control socket");
	*pid = clone_pidfd(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP, pidfd);
	if (*pid < 0) {
		close(pair[0]);
		close(pair[1]);
		return fail(e, "start agent: clone");
	}
	if (*pid == 0) {
		int keep[2] = {pair[1], s->listen_fd};
		close_except(keep, 2);
		agent_main(s, pair[1]);
	}
	close(pair[1]);
	if (write_node_map("/proc/self/uid_map", *pid, "uid_map", e) < 0 ||
	    write_node_map("/proc/self/gid_map", *pid, "gid_map", e) < 0 ||
	    write_all(pair[0], "g", 1) < 0 || recv_ready(pair[0], AGENT_READY_TIMEOUT_MS, NULL, e) < 0) {
		if (e->msg[0] == 0)
			fail(e, "start agent");
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		close(*pidfd);
		close(pair[0]);
		return -1;
	}
	close(pair[0]);
	return 0;
}

void init_main(struct spawn_req *s, int sock)
{
	struct err e = {{0}};
	sigset_t none;
	pid_t agent = 0;
	int agent_pidfd = -1, status;
	/* The supervisor's signals are the supervisor's: this process and
	 * everything it starts begin with none blocked. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	set_title("init", s->node);
	/* The node's own cgroup, before anything else: everything the node
	 * runs starts in it ("0" is the writer). */
	for (int64_t i = 0; i < s->cgroups; i++) {
		if (write_all(s->cgroup_fds[i], "0", 1) < 0) {
			fail(&e, "enter the node's cgroup");
			send_ready(sock, &e, -1);
			_exit(1);
		}
		close(s->cgroup_fds[i]);
	}
	if (build_view(s, &e) < 0 || start_agent(s, &agent, &agent_pidfd, &e) < 0) {
		send_ready(sock, &e, -1);
		_exit(1);
	}
	if (send_ready(sock, NULL, agent_pidfd) < 0)
		_exit(1);
	close(agent_pidfd);
	close(sock);
	close(s->listen_fd);
	for (size_t i = 0; i < s->nbinds; i++)
		if (s->binds[i].fd >= 0)
			close(s->binds[i].fd);
	/* Nothing of the node may reach the host's log from now on. */
	quiet_stdio();
	/* The node ends with its agent; other children (none but orphans the
	 * agent did not take) are reaped on the way. */
	for (;;) {
		pid_t p = waitpid(-1, &status, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			_exit(1);
		if (p == agent)
			_exit(wait_code(status));
	}
}
