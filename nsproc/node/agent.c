//go:build !netlab_protogen

/* A node's agent: the node's one process once it is set up (init.c), PID
 * 1 of the node and root of its own user namespace, which owns the node's
 * network, UTS and IPC namespaces, so node root can configure them (and
 * run FRR) while holding nothing over the rest of the lab. It runs
 * commands for the node's exec socket, as the parent, and as PID 1 the
 * reaper, of everything the node runs: one thread, one poll loop, a
 * signalfd for the children that end. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "msg.h"
#include "node.h"
#include "protocol.h"

/* How long a forked command may take to exec before it is killed. */
#define START_TIMEOUT_MS 10000

/* How much of a logged command's output its exit reports: the end, where
 * the reason usually is. */
#define OUTPUT_TAIL 4096

/* How long the agent, out of descriptors, leaves new connections waiting
 * before it tries again. */
#define ACCEPT_PAUSE_MS 100

/* A connection from a client. */
struct conn {
	int fd;
	pid_t pid;     /* the command it runs, 0 before and after */
	long long start_by; /* while start >= 0: the command is killed if it has not exec'd by then */
	/* Until the command has exec'd: the read end of a pipe that closes at
	 * its exec or brings the errno that stopped it, polled with the rest
	 * (node root may stop the command before it execs: nothing waits for
	 * it); -1 after. */
	int start;
	char *argv0;   /* the command's name, for that errno's message */
	char *service; /* a service's name: recorded, and answered, once it execs */
	char *log;     /* a logged command's log, whose tail its exit carries */
	off_t from;    /* where in the log its output starts */
	int watch;     /* it hears of services that end */
};

struct service {
	char *name;
	pid_t pid;
	int running, exit;
};

static struct {
	struct conn *conns;
	size_t nconns;
	struct service *services;
	size_t nservices;
	/* /dev/null, opened before any node code ran (node root may bind a
	 * FIFO over the path later), for logged commands' stdin. */
	int null;
	/* A descriptor kept to give up when there is none other to take a
	 * connection with (node root may lower this process's RLIMIT_NOFILE):
	 * the client is told why, rather than left waiting. */
	int spare;
} ag = {.null = -1, .spare = -1};

/* An exit to report: code and why the command could not start. */
struct exit_info {
	int code;
	char error[ERRLEN];
};

static void send_exit(int fd, const struct exit_info *x, const void *out, size_t outlen)
{
	struct msg_writer w = {0};
	size_t mark = msg_begin(&w, T_EVENT_EXIT);
	if (x->code != 0)
		msg_put_int(&w, T_EXIT_CODE, x->code);
	if (x->error[0] != 0)
		msg_put_str(&w, T_EXIT_ERROR, x->error);
	if (outlen > 0)
		msg_put_bytes(&w, T_EXIT_OUTPUT, out, outlen);
	msg_end(&w, mark);
	send_msg(fd, &w, NULL, 0);
	msg_free(&w);
}

static void exit_error(struct exit_info *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void exit_error(struct exit_info *x, int code, const char *fmt, ...)
{
	va_list ap;
	x->code = code;
	va_start(ap, fmt);
	vsnprintf(x->error, sizeof(x->error), fmt, ap);
	va_end(ap);
}

/* look_path finds a command the way a shell with env's PATH would, in the
 * node's own view of the filesystem: the first regular file with an
 * execute bit. An empty or relative element of PATH is taken from dir,
 * where the command will run. A name with a slash is used as it is. It
 * returns a path to free, or NULL. */
static char *look_path(const char *name, const struct strv *env, const char *dir)
{
	const char *path = NULL;
	if (strchr(name, '/') != NULL)
		return strdup(name);
	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], "PATH=", 5) == 0)
			path = env->v[i] + 5;
	if (path == NULL)
		return NULL;
	for (const char *p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *full;
		struct stat st;
		if (len == 0 || p[0] != '/') {
			if (asprintf(&full, "%s/%.*s%s%s", dir, (int)len, p, len ? "/" : "", name) < 0)
				return NULL;
		} else if (asprintf(&full, "%.*s/%s", (int)len, p, name) < 0) {
			return NULL;
		}
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0)
			return full;
		free(full);
		if (end == NULL)
			return NULL;
		p = end;
	}
}

/* set_default puts sig back to its default action. The system call, not
 * signal(): glibc keeps two real-time signals for itself and refuses to
 * touch them, but an ignored one is inherited across exec all the same.
 * Zeroed, the kernel's struct sigaction of any architecture is SIG_DFL. */
static void set_default(int sig)
{
	unsigned char act[64] = {0};
	if (sig != SIGKILL && sig != SIGSTOP)
		syscall(SYS_rt_sigaction, sig, act, NULL, sizeof(uint64_t));
}

/* start_command starts x's command with stdio in a session of its own
 * (signals for it reach its whole process group; with a pty, stdio is a
 * terminal that becomes its controlling one). It returns the pid, with in
 * *start the read end of a pipe that closes when the command execs or
 * brings the errno that stopped it (see exec_status), or 0 with the exit
 * to report: 127 not found, 126 otherwise. */
static pid_t start_command(const struct exec_req *x, const int stdio[3], int ctty, int *start, struct exit_info *fail_exit)
{
	const char *dir;
	char *path;
	int pipefd[2], err = 0;
	pid_t pid;
	if (x->argv.n == 0) {
		exit_error(fail_exit, 126, "no command given");
		return 0;
	}
	dir = x->dir != NULL && x->dir[0] != 0 ? x->dir : "/";
	path = look_path(x->argv.v[0], &x->env, dir);
	if (path == NULL) {
		exit_error(fail_exit, 127, "%s: command not found", x->argv.v[0]);
		return 0;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		exit_error(fail_exit, 126, "%s: pipe: %s", x->argv.v[0], errtext(errno));
		free(path);
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		char *empty[] = {NULL};
		int hi[3];
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Every signal at its default: what netlab ignored when it
		 * started the lab (nohup's SIGHUP, a shell's SIGPIPE) came down
		 * to here, and is no command's business. */
		for (int sig = 1; sig < NSIG; sig++)
			set_default(sig);
		/* Out of the way of 0..2 first: the three may be any of them. */
		for (int i = 0; i < 3; i++)
			hi[i] = fcntl(stdio[i], F_DUPFD, 10);
		if (setsid() < 0 || hi[0] < 0 || hi[1] < 0 || hi[2] < 0)
			goto failed;
		for (int i = 0; i < 3; i++)
			if (dup2(hi[i], i) < 0)
				goto failed;
		close_except(&pipefd[1], 1);
		if (ctty && ioctl(0, TIOCSCTTY, 0) < 0)
			goto failed;
		if (chdir(dir) < 0)
			goto failed;
		execve(path, x->argv.v, x->env.v != NULL ? x->env.v : empty);
failed:
		err = errno;
		write_all(pipefd[1], &err, sizeof(err));
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		exit_error(fail_exit, 126, "%s: fork: %s", x->argv.v[0], errtext(errno));
		close(pipefd[0]);
		free(path);
		return 0;
	}
	free(path);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	*start = pipefd[0];
	return pid;
}

/* open_pty opens a pty of the node's own devpts (its /dev/ptmx) sized rows
 * by cols (unless 0). The slave is opened through the master
 * (TIOCGPTPEER), never by a path node root could have swapped. */
static int open_pty(int rows, int cols, int *master, int *slave, struct exit_info *x)
{
	int unlock = 0;
	*master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0) {
		exit_error(x, 126, "open a pty: open /dev/ptmx: %s", errtext(errno));
		return -1;
	}
	if (ioctl(*master, TIOCSPTLCK, &unlock) < 0) {
		exit_error(x, 126, "unlock pty: ioctl TIOCSPTLCK: %s", errtext(errno));
		close(*master);
		return -1;
	}
	if (rows > 0 || cols > 0) {
		struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
		ioctl(*master, TIOCSWINSZ, &ws);
	}
	*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		exit_error(x, 126, "open pty slave: ioctl TIOCGPTPEER: %s", errtext(errno));
		close(*master);
		return -1;
	}
	return 0;
}

/* open_log opens the node's log name for appending (making LOG_DIR) and
 * sets *size to its size now, where this command's output will start. The
 * log is node root's to replace: what is not a regular file there is
 * refused, and opened without blocking (a FIFO would wait for a reader),
 * never through a symlink. */
static int open_log(const char *name, off_t *size, struct exit_info *x)
{
	char path[512];
	struct stat st;
	int fd;
	if (name[0] == 0 || name[0] == '.' || strchr(name, '/') != NULL || strlen(name) > 200) {
		exit_error(x, 126, "bad log name \"%s\"", name);
		return -1;
	}
	/* mkdir -p, of a path netlab fixed. */
	mkdir("/run/log", 0755);
	if (mkdir(LOG_DIR, 0755) < 0 && errno != EEXIST) {
		exit_error(x, 126, "make %s: %s", LOG_DIR, errtext(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.log", LOG_DIR, name);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);
	if (fd < 0 && errno == ENXIO) {
		exit_error(x, 126, "open log %s: not a regular file (a FIFO); remove it", path);
		return -1;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		exit_error(x, 126, "open log %s: %s", path, errtext(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		exit_error(x, 126, "open log %s: not a regular file; remove it", path);
		close(fd);
		return -1;
	}
	/* The command's output: blocking, as a program expects it to be. */
	fcntl(fd, F_SETFL, O_APPEND);
	*size = st.st_size;
	return fd;
}

/* log_tail reads the end of log name past offset from, at most
 * OUTPUT_TAIL bytes, into buf; it returns how many. What is no regular
 * file (node root may have put a FIFO there) gives none. */
static size_t log_tail(const char *name, off_t from, char *buf)
{
	char path[512];
	struct stat st;
	ssize_t n;
	int fd;
	snprintf(path, sizeof(path), "%s/%s.log", LOG_DIR, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= from) {
		close(fd);
		return 0;
	}
	if (st.st_size - from > OUTPUT_TAIL)
		from = st.st_size - OUTPUT_TAIL;
	n = pread(fd, buf, (size_t)(st.st_size - from), from);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static struct conn *add_conn(int fd)
{
	struct conn *c = realloc(ag.conns, (ag.nconns + 1) * sizeof(*c));
	if (c == NULL)
		return NULL;
	ag.conns = c;
	c = &ag.conns[ag.nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->start = -1;
	return c;
}

static void drop_conn(size_t i)
{
	struct conn *c = &ag.conns[i];
	close(c->fd);
	if (c->start >= 0)
		close(c->start);
	free(c->argv0);
	free(c->service);
	free(c->log);
	ag.conns[i] = ag.conns[--ag.nconns];
}

/* mkdir_owned makes dir and its missing parents, owned by uid and gid;
 * directories that are there keep their owners. One component after the
 * other, in one buffer: a path may have thousands of them, and this is the
 * node's PID 1, whose stack a recursion per component would overflow. */
static int mkdir_owned(const char *dir, uid_t uid, gid_t gid)
{
	char p[4096];
	struct stat st;
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *end = p; end != NULL;) {
		end = strchr(end + 1, '/');
		if (end != NULL)
			*end = 0;
		if (mkdir(p, 0755) == 0) {
			if (chown(p, uid, gid) < 0)
				return -1;
		} else if (errno != EEXIST) {
			return -1;
		} else if (stat(p, &st) < 0) {
			return -1;
		} else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		if (end != NULL)
			*end = '/';
	}
	return 0;
}

/* put_file writes a file as the node's root. An existing file is removed
 * first: one of the host's, seen through the /etc overlay, is owned by an
 * id the node cannot map and could not be rewritten in place; a symlink
 * there is replaced, never followed. */
static void put_file(const struct put_req *p, struct exit_info *x)
{
	char dir[4096];
	int fd;
	if (p->path[0] != '/') {
		exit_error(x, 1, "put %s: path is not absolute", p->path);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", p->path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else
		*slash = 0;
	if (mkdir_owned(dir, (uid_t)p->uid, (gid_t)p->gid) < 0) {
		exit_error(x, 1, "put %s: %s", p->path, errtext(errno));
		return;
	}
	if (unlink(p->path) < 0 && errno != ENOENT && !(errno == EISDIR && rmdir(p->path) == 0)) {
		exit_error(x, 1, "put %s: %s", p->path, errtext(errno));
		return;
	}
	fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, p->data, p->len) < 0 || fchown(fd, (uid_t)p->uid, (gid_t)p->gid) < 0 ||
	    fchmod(fd, (mode_t)(p->mode & 0777)) < 0) {
		exit_error(x, 1, "put %s: %s", p->path, errtext(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (close(fd) < 0)
		exit_error(x, 1, "put %s: %s", p->path, errtext(errno));
}

int write_sysctls(const struct strv *kvs, struct err *e)
{
	for (size_t i = 0; i < kvs->n; i++) {
		const char *kv = kvs->v[i], *eq = strchr(kv, '=');
		char path[512];
		size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
		const char *value = eq ? eq + 1 : "";
		int slashes = memchr(kv, '/', klen) != NULL;
		if (klen == 0 || klen > 400 || strstr(kv, "..") != NULL)
			return failx(e, "sysctl %s: bad key", kv);
		/* A key written with slashes keeps its dots, for interface
		 * names like eth1.10. */
		snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)klen, kv);
		if (!slashes)
			for (char *p = path + 10; *p; p++)
				if (*p == '.')
					*p = '/';
		if (write_file(path, value, strlen(value)) < 0)
			return fail(e, "sysctl %s", kv);
	}
	return 0;
}

/* quote writes s as Go's %q would for the ASCII it has: in double quotes,
 * with quotes, backslashes and what is not printable escaped. */
static void quote(char *out, size_t outlen, const char *s)
{
	size_t n = 0;
	if (outlen < 3)
		return;
	out[n++] = '"';
	for (; *s && n + 6 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, outlen - n, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n++] = '"';
	out[n] = 0;
}

/* packet_socket opens an AF_PACKET socket (SOCK_RAW: whole frames, link
 * header included) bound to the interface for every protocol. It is made
 * with protocol 0, which queues nothing, and the bind names the protocol
 * and the interface at once: no frame of another interface is ever queued
 * on it. An interface that is not there is the caller's mistake, and the
 * error lists those that are. */
static int packet_socket(const char *ifname, struct exit_info *x)
{
	unsigned int index = if_nametoindex(ifname);
	struct sockaddr_ll sa = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int fd;
	if (index == 0) {
		char q[64], list[ERRLEN / 2] = "";
		struct if_nameindex *all = if_nameindex();
		size_t n = 0;
		for (struct if_nameindex *i = all; i != NULL && i->if_index != 0 && n + IF_NAMESIZE + 3 < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", i->if_name);
		if (all != NULL)
			if_freenameindex(all);
		quote(q, sizeof(q), ifname);
		exit_error(x, CODE_NO_INTERFACE, "no interface %s (interfaces: %s)", q, list);
		return -1;
	}
	sa.sll_ifindex = (int)index;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		exit_error(x, 1, "socket AF_PACKET: %s", errtext(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		exit_error(x, 1, "bind packet socket to %s: bind: %s", ifname, errtext(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int netlink_socket(struct exit_info *x)
{
	int fd = netlink_route_socket();
	if (fd < 0)
		exit_error(x, 1, "netlink socket: %s", errtext(errno));
	return fd;
}

/* send_socket answers a request for a socket opened in the node. */
static void send_socket(int cfd, int sock, const struct exit_info *x)
{
	if (sock < 0) {
		send_exit(cfd, x, NULL, 0);
		return;
	}
	struct msg_writer w = {0};
	size_t mark = msg_begin(&w, T_EVENT_EXIT);
	msg_end(&w, mark);
	send_msg(cfd, &w, &sock, 1);
	msg_free(&w);
	close(sock);
}

static void send_services(int cfd)
{
	struct msg_writer w = {0};
	for (size_t i = 0; i < ag.nservices; i++) {
		const struct service *s = &ag.services[i];
		size_t mark = msg_begin(&w, T_SERVICES_SERVICES);
		msg_put_str(&w, T_SERVICE_NAME, s->name);
		msg_put_int(&w, T_SERVICE_PID, s->pid);
		if (s->running)
			msg_put_int(&w, T_SERVICE_RUNNING, 1);
		if (s->exit != 0)
			msg_put_int(&w, T_SERVICE_EXIT, s->exit);
		msg_end(&w, mark);
	}
	send_msg(cfd, &w, NULL, 0);
	msg_free(&w);
}

static int add_service(const char *name, pid_t pid)
{
	struct service *s = realloc(ag.services, (ag.nservices + 1) * sizeof(*s));
	if (s == NULL)
		return -1;
	ag.services = s;
	s = &ag.services[ag.nservices];
	s->name = strdup(name);
	if (s->name == NULL)
		return -1;
	s->pid = pid;
	s->running = 1;
	s->exit = 0;
	ag.nservices++;
	return 0;
}

/* run_exec starts an exec request's command for connection c. It returns
 * 1 when the command runs and c waits for it, 0 when c is answered. */
static int run_exec(struct conn *c, struct exec_req *x, int *fds, int nfds)
{
	struct exit_info info = {0};
	int stdio[3], master = -1, slave = -1, logfd = -1;
	pid_t pid;
	if (x->log != NULL) {
		if (nfds != 0) {
			exit_error(&info, 126, "logged request carried %d files, want none", nfds);
			goto answer;
		}
		logfd = open_log(x->log, &c->from, &info);
		if (logfd < 0)
			goto answer;
		if (ag.null < 0) {
			exit_error(&info, 126, "no /dev/null to give the command");
			goto answer;
		}
		stdio[0] = ag.null, stdio[1] = stdio[2] = logfd;
	} else if (x->pty) {
		struct msg_writer w = {0};
		if (nfds != 0) {
			exit_error(&info, 126, "pty request carried %d files, want none", nfds);
			goto answer;
		}
		if (open_pty((int)x->rows, (int)x->cols, &master, &slave, &info) < 0)
			goto answer;
		msg_put_int(&w, T_EVENT_PTY, 1);
		if (send_msg(c->fd, &w, &master, 1) < 0) {
			exit_error(&info, 126, "send pty: %s", errtext(errno));
			msg_free(&w);
			goto answer;
		}
		msg_free(&w);
		close(master);
		master = -1;
		stdio[0] = stdio[1] = stdio[2] = slave;
	} else {
		if (nfds != 3) {
			exit_error(&info, 126, "request carried %d files, want stdin, stdout, stderr", nfds);
			goto answer;
		}
		stdio[0] = fds[0], stdio[1] = fds[1], stdio[2] = fds[2];
	}
	pid = start_command(x, stdio, x->pty && x->log == NULL, &c->start, &info);
	if (pid == 0)
		goto answer;
	c->pid = pid;
	c->start_by = now_ms() + START_TIMEOUT_MS;
	c->argv0 = strdup(x->argv.v[0]);
	if (x->service != NULL && x->log != NULL) {
		c->service = x->service;
		x->service = NULL;
	} else if (x->log != NULL) {
		c->log = x->log;
		x->log = NULL;
	}
	if (logfd >= 0)
		close(logfd);
	if (slave >= 0)
		close(slave);
	return 1;
answer:
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	if (logfd >= 0)
		close(logfd);
	send_exit(c->fd, &info, NULL, 0);
	return 0;
}

/* exec_status reads what c's command's start pipe says, once it is
 * readable: the errno that kept it from exec (answered, and c is done: the
 * child exits 127, reaped as any orphan), or the end that its exec closed
 * (a service is recorded and answered, and c is done; another command
 * runs on). It returns 1 while c stays. */
static int exec_status(struct conn *c)
{
	struct exit_info info = {0};
	int err;
	ssize_t n;
	do
		n = read(c->start, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 1;
	close(c->start);
	c->start = -1;
	if (n == sizeof(err)) {
		exit_error(&info, err == ENOENT ? 127 : 126, "%s: %s", c->argv0 ? c->argv0 : "the command", errtext(err));
		c->pid = 0;
		send_exit(c->fd, &info, NULL, 0);
		return 0;
	}
	if (c->service == NULL) {
		/* The client waits a bounded time for this, then for the exit
		 * as long as the command runs. */
		if (c->log == NULL) {
			struct msg_writer w = {0};
			msg_put_int(&w, T_EVENT_STARTED, 1);
			send_msg(c->fd, &w, NULL, 0);
			msg_free(&w);
		}
		return 1;
	}
	if (add_service(c->service, c->pid) < 0)
		exit_error(&info, 1, "out of memory");
	send_exit(c->fd, &info, NULL, 0);
	return 0;
}

/* start_timed_out ends c's command, which has not exec'd in time (node
 * root can stop it before it does): it is killed, and the client told. */
static int start_timed_out(struct conn *c)
{
	struct exit_info info = {0};
	kill(c->pid, SIGKILL);
	close(c->start);
	c->start = -1;
	c->pid = 0;
	exit_error(&info, 126, "%s did not start within %d s (was it stopped?)", c->argv0 ? c->argv0 : "the command", START_TIMEOUT_MS / 1000);
	send_exit(c->fd, &info, NULL, 0);
	return 0;
}

/* request reads connection i's request and acts on it. It returns 1 when
 * the connection stays (a command runs), 0 when it is done. */
static int request(size_t i)
{
	struct conn *c = &ag.conns[i];
	unsigned char *buf;
	int fds[3], nfds, keep = 0;
	ssize_t n = recv_msg(c->fd, &buf, fds, 3, &nfds);
	struct node_req q;
	struct exit_info info = {0};
	char err[ERRLEN];
	if (n < 0 || buf == NULL)
		return 0;
	if (decode_request(buf, (size_t)n, &q, err, sizeof(err)) < 0) {
		free(buf);
		for (int k = 0; k < nfds; k++)
			close(fds[k]);
		exit_error(&info, 2, "a bad request: %s", err);
		send_exit(c->fd, &info, NULL, 0);
		return 0;
	}
	free(buf);
	if (q.exec != NULL) {
		keep = run_exec(c, q.exec, fds, nfds);
	} else {
		if (q.services) {
			send_services(c->fd);
		} else if (q.netlink) {
			send_socket(c->fd, netlink_socket(&info), &info);
		} else if (q.packet != NULL) {
			send_socket(c->fd, packet_socket(q.packet, &info), &info);
		} else if (q.sysctls.n > 0) {
			struct err e = {{0}};
			if (write_sysctls(&q.sysctls, &e) < 0)
				exit_error(&info, 1, "%s", e.msg);
			send_exit(c->fd, &info, NULL, 0);
		} else if (q.put != NULL) {
			put_file(q.put, &info);
			send_exit(c->fd, &info, NULL, 0);
		} else if (q.watch) {
			c->watch = 1;
			keep = 1;
			send_exit(c->fd, &info, NULL, 0);
		}
	}
	for (int k = 0; k < nfds; k++)
		close(fds[k]);
	free_request(&q);
	return keep;
}

/* client_event reads what a client sends while its command runs: signals
 * to deliver to the command's process group. A client that goes away
 * leaves nobody to see the command, so it is killed. It returns 0 when
 * the connection is done. */
static int client_event(size_t i)
{
	struct conn *c = &ag.conns[i];
	unsigned char *buf;
	int fds[1], nfds;
	int64_t sig;
	char err[ERRLEN];
	ssize_t n = recv_msg(c->fd, &buf, fds, 0, &nfds);
	if (n < 0 && (errno == EMSGSIZE || errno == EPROTO))
		return 1;
	if (n < 0 || buf == NULL) {
		/* Its group; and itself, when it has not made its session yet. */
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
		return 0;
	}
	/* Its group; itself while it has not exec'd, and so may have no
	 * session of its own yet. */
	if (decode_signal(buf, (size_t)n, &sig, err, sizeof(err)) == 0 && sig > 0) {
		kill(-c->pid, (int)sig);
		if (c->start >= 0)
			kill(c->pid, (int)sig);
	}
	free(buf);
	return 1;
}

/* service_ended tells every watcher that service s ended. A watcher whose
 * buffer is full is shut down, not waited for: the poll loop then drops
 * it. */
static void service_ended(const struct service *s)
{
	struct msg_writer w = {0};
	msg_put_str(&w, T_WATCH_KIND, "service-exited");
	msg_put_str(&w, T_WATCH_SERVICE, s->name);
	if (s->exit != 0)
		msg_put_int(&w, T_WATCH_CODE, s->exit);
	msg_put_int(&w, T_WATCH_PID, s->pid);
	for (size_t i = 0; i < ag.nconns; i++)
		if (ag.conns[i].watch && send_msg_nowait(ag.conns[i].fd, &w) < 0)
			shutdown(ag.conns[i].fd, SHUT_RDWR);
	msg_free(&w);
}

/* reap waits for every child that has ended: commands that clients wait
 * for, services, and orphans of the node, which come here as to its PID 1.
 * It returns -1 on a SIGTERM that ends the agent: from outside the node
 * (the sender's pid is 0 here: it is in no PID namespace of the node's),
 * or, for an agent that is not PID 1 (the tests'), from anyone. A node
 * ends when netlab stops it or takes its lab down; what runs in it (kill
 * -TERM 1, busybox reboot) cannot end it so. */
static int reap(int sigfd)
{
	struct signalfd_siginfo si;
	int status, term = 0;
	pid_t pid;
	while (read(sigfd, &si, sizeof(si)) == sizeof(si))
		term |= si.ssi_signo == SIGTERM && (si.ssi_pid == 0 || getpid() != 1);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		/* A client's first: a service that ended before its start was
		 * read is recorded by exec_status, then ended below. */
		for (size_t i = 0; i < ag.nconns; i++) {
			struct conn *c = &ag.conns[i];
			struct exit_info info = {0};
			char out[OUTPUT_TAIL];
			size_t outlen = 0;
			if (c->pid != pid)
				continue;
			/* Its start pipe has all it will have: the child is gone. */
			if (c->start >= 0 && !exec_status(c)) {
				drop_conn(i);
				break;
			}
			info.code = wait_code(status);
			if (c->log != NULL)
				outlen = log_tail(c->log, c->from, out);
			send_exit(c->fd, &info, out, outlen);
			drop_conn(i);
			break;
		}
		for (size_t i = 0; i < ag.nservices; i++)
			if (ag.services[i].pid == pid && ag.services[i].running) {
				ag.services[i].running = 0;
				ag.services[i].exit = wait_code(status);
				service_ended(&ag.services[i]);
			}
	}
	return term ? -1 : 0;
}

/* refuse_one takes a waiting connection with the spare descriptor, tells
 * the client the agent has no descriptors left, and takes the spare back.
 * It returns 0 when it could not. */
static int refuse_one(int l)
{
	struct exit_info info = {0};
	int fd;
	if (ag.spare < 0)
		return 0;
	close(ag.spare);
	ag.spare = -1;
	fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		exit_error(&info, 1, "the node's agent has no descriptors left (its open-files limit was lowered in the node); restart the node");
		send_exit(fd, &info, NULL, 0);
		close(fd);
	}
	ag.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0;
}

int agent_serve(int l, const char *node)
{
	struct pollfd *p = NULL;
	short *started = NULL; /* revents of each connection's start pipe */
	long long accept_after = 0;  /* out of descriptors: no accept before */
	size_t npoll = 0;
	sigset_t mask;
	int sigfd;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ag.null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ag.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sigfd < 0 || fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK) < 0) {
		fprintf(stderr, "netlab agent %s: signalfd: %s\n", node, errtext(errno));
		return 1;
	}
	for (;;) {
		size_t n = 0, nconns = ag.nconns, want = 2 + 2 * nconns;
		int timeout;
		if (npoll < want) {
			struct pollfd *more = realloc(p, want * sizeof(*p));
			short *smore = more != NULL ? realloc(started, want * sizeof(*smore)) : NULL;
			if (more != NULL)
				p = more;
			if (smore == NULL) {
				sleep(1);
				continue;
			}
			started = smore;
			npoll = want;
		}
		/* Signals, the listener, each connection (at 2 + its index),
		 * then the start pipes of those whose command has not exec'd. */
		p[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		/* poll skips a negative descriptor: the listener waits while
		 * the agent has none to take a connection with. */
		p[n++] = (struct pollfd){.fd = now_ms() < accept_after ? -1 : l, .events = POLLIN};
		for (size_t i = 0; i < nconns; i++)
			p[n++] = (struct pollfd){.fd = ag.conns[i].fd, .events = POLLIN};
		for (size_t i = 0; i < nconns; i++)
			if (ag.conns[i].start >= 0)
				p[n++] = (struct pollfd){.fd = ag.conns[i].start, .events = POLLIN};
		timeout = -1;
		if (p[1].fd < 0) {
			long long wait = accept_after - now_ms();
			timeout = wait > 0 ? (int)wait : 0;
		}
		for (size_t i = 0; i < nconns; i++)
			if (ag.conns[i].start >= 0) {
				long long wait = ag.conns[i].start_by - now_ms();
				if (timeout < 0 || wait < timeout)
					timeout = wait > 0 ? (int)wait : 0;
			}
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "netlab agent %s: poll: %s\n", node, errtext(errno));
			break;
		}
		for (size_t i = 0, k = 2 + nconns; i < nconns; i++)
			started[i] = ag.conns[i].start >= 0 ? p[k++].revents : 0;
		/* Connections first, from the end (drop_conn moves the last
		 * one into the place it frees), then new ones, then exits. */
		for (size_t i = nconns; i-- > 0;) {
			struct conn *c = &ag.conns[i];
			int keep = 1;
			if (c->fd != p[2 + i].fd)
				continue;
			if (started[i] && c->start >= 0)
				keep = exec_status(c);
			if (keep && c->start >= 0 && now_ms() >= c->start_by)
				keep = start_timed_out(c);
			/* A watcher sends nothing: anything from it is its end. */
			if (keep && p[2 + i].revents)
				keep = !c->watch && (c->pid == 0 ? request(i) : client_event(i));
			if (!keep)
				drop_conn(i);
		}
		if (p[1].revents) {
			/* A client that does not read its answers stalls the agent
			 * for at most this long, then loses them. */
			struct timeval tv = {.tv_sec = 5};
			int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			if (fd >= 0 && add_conn(fd) == NULL)
				close(fd);
			else if (fd < 0 && (errno == EMFILE || errno == ENFILE) && !refuse_one(l))
				/* The connection waits in the backlog until a
				 * descriptor is free; the agent does not spin on it. */
				accept_after = now_ms() + ACCEPT_PAUSE_MS;
			else if (fd < 0 && errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				fprintf(stderr, "netlab agent %s: accept: %s\n", node, errtext(errno));
		}
		if (p[0].revents && reap(sigfd) < 0)
			break; /* SIGTERM: the agent, and so the node, ends */
	}
	free(p);
	free(started);
	while (ag.nconns > 0)
		drop_conn(ag.nconns - 1);
	free(ag.conns);
	for (size_t i = 0; i < ag.nservices; i++)
		free(ag.services[i].name);
	free(ag.services);
	close(ag.null);
	close(ag.spare);
	close(sigfd);
	return 0;
}

int agent_test_main(void)
{
	return agent_serve(CONTROL_FD, "test");
}
