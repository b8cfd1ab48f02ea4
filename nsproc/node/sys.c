//go:build !netlab_protogen

#define _GNU_SOURCE
#include "node.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "protocol.h"

const char *errtext(int n)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(n));
	/* "No such file" → "no such file", but not "EOF"-like acronyms. */
	if (isupper((unsigned char)buf[0]) && !isupper((unsigned char)buf[1]))
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static int vfail(struct err *e, int errnum, const char *fmt, va_list ap)
{
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (errnum != 0 && n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", errtext(errnum));
	return -1;
}

int fail(struct err *e, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	vfail(e, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int failx(struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(e, 0, fmt, ap);
	va_end(ap);
	return -1;
}

pid_t clone_pidfd(unsigned long flags, int *pidfd)
{
	/* clone(2), not clone3: the raw call with no stack is a fork, which
	 * valgrind follows; the pidfd comes back through parent_tid on
	 * every architecture. */
	return (pid_t)syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, NULL, pidfd, NULL, NULL);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void close_except(const int *keep, int n)
{
	int k[MAX_FILES + 8], from = 3;
	if (n > MAX_FILES + 8)
		n = MAX_FILES + 8;
	memcpy(k, keep, sizeof(int) * (size_t)n);
	qsort(k, (size_t)n, sizeof(int), cmp_int);
	for (int i = 0; i < n; i++) {
		if (k[i] < from)
			continue;
		if (k[i] > from)
			syscall(SYS_close_range, from, k[i] - 1, 0);
		from = k[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

/* The supervisor's argument area (see titleRoom in supervisor_linux.go),
 * which each clone overwrites with its own title. */
static char *title_start, *title_end;

void set_title_area(int argc, char **argv);
void set_title_area(int argc, char **argv)
{
	if (argc < 1)
		return;
	title_start = argv[0];
	title_end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
}

void set_title(const char *role, const char *name)
{
	char comm[16];
	snprintf(comm, sizeof(comm), "netlab-%s", role);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	if (title_start == NULL)
		return;
	/* "netlab\0__netlab_ROLE\0NAME\0", what ps and the tests read. */
	size_t room = (size_t)(title_end - title_start);
	memset(title_start, 0, room);
	snprintf(title_start, room, "netlab%c__netlab_%s%c%s", 0, role, 0, name);
}

void quiet_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return;
	for (int fd = 0; fd <= 2; fd++)
		dup2(null, fd);
	close(null);
}

int is_real_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int netlink_route_socket(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), err;
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;
	if (fd < 0)
		return -1;
	if (write_all(fd, s, len) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return close(fd);
}

int send_ready(int sock, const struct err *e, const int *fds, int nfds)
{
	struct msg_writer w = {0};
	int r;
	if (e != NULL && e->msg[0] != 0)
		msg_put_str(&w, T_READY_ERROR, e->msg);
	r = send_msg(sock, &w, fds, nfds);
	msg_free(&w);
	return r;
}

int recv_ready(int sock, int *fds, int maxfds, int *nfds, struct err *e)
{
	unsigned char *buf;
	char why[ERRLEN];
	int r;
	ssize_t n;
	*nfds = 0;
	n = recv_msg(sock, &buf, fds, maxfds, nfds);
	if (n < 0)
		return fail(e, "read ready report");
	if (n == 0 && buf == NULL)
		return failx(e, "exited before it was ready");
	r = decode_ready(buf, (size_t)n, e->msg, sizeof(e->msg), why, sizeof(why));
	free(buf);
	if (r != 0) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		if (r < 0)
			failx(e, "a bad ready report: %s", why);
		return -1;
	}
	return 0;
}

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wait_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
