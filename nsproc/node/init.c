//go:build !netlab_protogen

/* A node's one process: PID 1 of the node's PID and mount namespaces,
 * cloned by the supervisor with its request in memory. As the lab's root
 * it builds the node's view of the filesystem; then it makes a user
 * namespace of the node's own (nested in the lab's, mapping the same ids
 * from lab id 1, written by the supervisor), becomes its root, and makes
 * the node's network, UTS, IPC and cgroup namespaces and a copy of the
 * mount namespace it built, all owned by the node's user namespace. That
 * copy is made by a less privileged user namespace, so the kernel locks
 * every mount in it: node root can neither unmount nor remount what was
 * set up. From then on it is the node's agent (agent.c), holding nothing
 * over the rest of the lab, and, not dumpable, out of node root's reach
 * (its memory is the lab's user namespace's, where node root has no
 * capability). One process per node, not two: an init of the lab's that
 * only waited would be a second fork per node and a process holding the
 * lab's capabilities for nothing. */
#define _GNU_SOURCE
#include <dirent.h>
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

/* Where the init builds the upper and work directories of its /etc
 * overlay: a tmpfs of its own, mounted on /run and then covered by the
 * node's real /run, so it is out of sight but needs no unmount (which
 * would wait for an RCU grace period). */
#define LAYER_ROOT "/run/.netlab-layer"

#define NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define NOSUID (MS_NOSUID | MS_NODEV)

/* The tmpfs option that gives a fresh tmpfs to node root. */
#define NODE_ROOT_OWNS "uid=1,gid=1"

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
 * lab's root may reach it (rootless: the user). Each is nosuid and nodev
 * all through, read-only all through when asked; a writable one is made
 * writable at its top only (the host's tree below is read-only): a mount
 * below it that is read-only on the host stays so (and, locked so in a
 * rootless lab, could not be made writable anyway). */
static int mount_binds(const struct spawn_req *s, struct err *e)
{
	for (size_t i = 0; i < s->nbinds; i++) {
		const struct bind_spec *b = &s->binds[i];
		struct mount_attr all = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
		struct mount_attr top = {.attr_clr = MOUNT_ATTR_RDONLY};
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
			all.attr_set |= MOUNT_ATTR_RDONLY;
		if (syscall(SYS_mount_setattr, AT_FDCWD, b->target, AT_RECURSIVE, &all, sizeof(all)) < 0)
			return fail(e, "bind %s on %s: make it nosuid, nodev%s: mount_setattr", b->source, b->target,
				    b->readonly ? " and read-only" : "");
		if (!b->readonly && syscall(SYS_mount_setattr, AT_FDCWD, b->target, 0, &top, sizeof(top)) < 0)
			return fail(e, "bind %s on %s: make it writable: mount_setattr", b->source, b->target);
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

/* become_node makes this process the node's root: it makes the node's own
 * user namespace, which the supervisor maps (node ids from lab id 1, see
 * supervisor.c), becomes its root, and makes the node's network, UTS, IPC,
 * cgroup and a copy of this mount namespace in it. That copy is made by a
 * less privileged user namespace, so the kernel locks every mount in it:
 * node root can neither unmount nor remount what was set up. This process
 * keeps nothing of the lab's: it holds no capability outside the node's
 * user namespace from here on, and it is not dumpable (its memory is the
 * lab's user namespace's), so node root cannot ptrace it either.
 *
 * A node started again (Held) enters the user namespace it had, and then
 * its network namespace (the order setns needs: the network namespace is
 * the user namespace's), both held by the supervisor, mapped already: its
 * interfaces, addresses and routes are there. Its mount, UTS, IPC and
 * cgroup namespaces are new, made as a first start's are, so that a
 * restarted node is as isolated as a new one. */
/* reset_user_counts puts the bounds of the node's user namespace that node
 * root may have lowered before a restart (/proc/sys/user: echo 0 >
 * max_mnt_namespaces would keep any new start from making the node's
 * namespaces) back to a new user namespace's: none, under the lab's. */
static int reset_user_counts(struct err *e)
{
	DIR *d = opendir("/proc/sys/user");
	struct dirent *de;
	if (d == NULL)
		return fail(e, "read /proc/sys/user");
	while ((de = readdir(d)) != NULL) {
		char path[300];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/sys/user/%s", de->d_name);
		if (write_file(path, "2147483647", 10) < 0) {
			fail(e, "reset %s", path);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int become_node(const struct spawn_req *s, int sock, struct err *e)
{
	char go;
	if (s->held) {
		if (setns(s->held_userns, CLONE_NEWUSER) < 0)
			return fail(e, "enter the node's user namespace: setns");
		if (setns(s->held_netns, CLONE_NEWNET) < 0)
			return fail(e, "enter the node's network namespace: setns");
		close(s->held_userns);
		close(s->held_netns);
	} else {
		if (unshare(CLONE_NEWUSER) < 0)
			return fail(e, "make the node's user namespace: unshare");
		/* The supervisor writes the maps, as a process of the lab's user
		 * namespace must. */
		if (write_all(sock, "u", 1) < 0 || read(sock, &go, 1) != 1 || go != 'm')
			return failx(e, "the supervisor did not map the node's user namespace");
	}
	/* Daemons that drop privileges call setgroups; every id of the lab is
	 * mapped, so allowing it gives away nothing. */
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return fail(e, "become node root");
	/* A change of uid set the dumpable flag to fs.suid_dumpable, which
	 * may be 1: node root could then trace this process. Not again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail(e, "make the node's process not dumpable: prctl");
	if (s->held && reset_user_counts(e) < 0)
		return -1;
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | (s->held ? 0 : CLONE_NEWNET)) < 0)
		return fail(e, "make the node's namespaces: unshare");
	/* Over the supervisor's /sys, which shows its empty network namespace:
	 * this one is not locked, and what unmounting it uncovers names no
	 * interface of the host's. */
	if (mount("sysfs", "/sys", "sysfs", NOEXEC, NULL) < 0)
		return fail(e, "mount the node's own sysfs on /sys: mount");
	if (sethostname(s->hostname, strlen(s->hostname)) < 0)
		return fail(e, "set hostname: sethostname");
	return write_sysctls(&s->sysctls, e);
}

/* set_clock puts the processes the node will start (not this one: a time
 * namespace is for children) in a time namespace of their own, whose
 * monotonic and boot clocks are offset_ns ahead of the lab's. Made as the
 * lab's root, so that node root can never change the offsets, which must
 * be written before any process is in it. */
static int set_clock(int64_t offset_ns, struct err *e)
{
	char offsets[128];
	long long sec = offset_ns / 1000000000, nsec = offset_ns % 1000000000;
	int n;
	if (nsec < 0) {
		sec--;
		nsec += 1000000000;
	}
	if (unshare(CLONE_NEWTIME) < 0)
		return fail(e, "make the node's time namespace: unshare");
	n = snprintf(offsets, sizeof(offsets), "monotonic %lld %lld\nboottime %lld %lld\n", sec, nsec, sec, nsec);
	if (write_file("/proc/self/timens_offsets", offsets, (size_t)n) < 0)
		return fail(e, "offset the node's clocks by %lld s: write /proc/self/timens_offsets", sec);
	return 0;
}

/* open_own_ns opens this process's user and network namespaces, for the
 * supervisor to hold. */
static int open_own_ns(int ns[2], struct err *e)
{
	static const char *const which[2] = {"user", "net"};
	for (int i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", which[i]);
		ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (ns[i] < 0) {
			fail(e, "open its %s namespace", which[i]);
			if (i == 1)
				close(ns[0]);
			return -1;
		}
	}
	return 0;
}

void init_main(struct spawn_req *s, int sock)
{
	struct err e = {{0}};
	sigset_t none;
	int ns[2];
	/* The supervisor's signals are the supervisor's: this process and
	 * everything it starts begin with none blocked. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	set_title("init", s->node);
	/* The open-files limit netlab was started with, not the supervisor's. */
	if (node_nofile.rlim_max != 0)
		setrlimit(RLIMIT_NOFILE, &node_nofile);
	/* The node's own cgroup, before anything else: everything the node
	 * runs starts in it ("0" is the writer). */
	for (int64_t i = 0; i < s->cgroups; i++) {
		if (write_all(s->cgroup_fds[i], "0", 1) < 0) {
			fail(&e, "enter the node's cgroup");
			send_ready(sock, &e, NULL, 0);
			_exit(1);
		}
		close(s->cgroup_fds[i]);
	}
	if (build_view(s, &e) < 0 || (s->clock_offset != 0 && set_clock(s->clock_offset, &e) < 0) ||
	    become_node(s, sock, &e) < 0 || open_own_ns(ns, &e) < 0) {
		send_ready(sock, &e, NULL, 0);
		_exit(1);
	}
	for (size_t i = 0; i < s->nbinds; i++)
		if (s->binds[i].fd >= 0)
			close(s->binds[i].fd);
	if (send_ready(sock, NULL, ns, 2) < 0)
		_exit(1);
	close(ns[0]);
	close(ns[1]);
	close(sock);
	/* Nothing of the node may reach the host's log from now on. */
	quiet_stdio();
	_exit(agent_serve(s->listen_fd, s->node));
}
