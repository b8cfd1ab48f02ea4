/* cnodefloor: the floor of a node model without a runtime: a supervisor in
 * new user, PID and mount namespaces clones N nodes, without exec, each in
 * new mount, UTS, IPC, PID, network and cgroup namespaces, with its own
 * /proc and hostname, ready on a pipe. Nothing else: no wiring (that is
 * netfloor's), no state, no exec socket, no /etc overlay.
 *
 *   cnodefloor -n N     prints "nodes=N up=Ts down=Ts"
 *
 * make bench builds it with gcc (test/floor/doc.go). Run as root. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static pid_t fork_with(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static void write_map(pid_t pid, const char *file, const char *map)
{
	char path[64];
	int fd;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		die(path);
	close(fd);
}

static void node(int i, int ready)
{
	char name[32];
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("mount /proc");
	snprintf(name, sizeof(name), "n%d", i);
	if (sethostname(name, strlen(name)) < 0)
		die("sethostname");
	if (write(ready, "1", 1) != 1)
		die("ready");
	for (;;)
		pause();
}

static void supervisor(int n, int go, int ready)
{
	char c;
	if (read(go, &c, 1) != 1)
		exit(1);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		die("setresuid");
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("mount private");
	signal(SIGCHLD, SIG_IGN);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork_with(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP);
		if (pid < 0)
			die("clone node");
		if (pid == 0)
			node(i, ready);
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int n = 100, go[2], ready[2];
	double t0, t1, t2;
	char buf[4096];
	long got = 0;
	pid_t sup;
	if (argc == 3 && strcmp(argv[1], "-n") == 0)
		n = atoi(argv[2]);
	if (pipe(go) < 0 || pipe(ready) < 0)
		die("pipe");
	t0 = now();
	sup = fork_with(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS);
	if (sup < 0)
		die("clone supervisor");
	if (sup == 0) {
		close(go[1]);
		close(ready[0]);
		supervisor(n, go[0], ready[1]);
	}
	close(go[0]);
	close(ready[1]);
	write_map(sup, "uid_map", "0 2146435072 65536\n"); /* 0x7ff00000, as nodefloor */
	write_map(sup, "setgroups", "allow");
	write_map(sup, "gid_map", "0 2146435072 65536\n");
	if (write(go[1], "g", 1) != 1)
		die("go");
	while (got < n) {
		ssize_t k = read(ready[0], buf, sizeof(buf));
		if (k <= 0)
			die("a node did not report ready");
		got += k;
	}
	t1 = now();
	kill(sup, SIGKILL);
	waitpid(sup, NULL, 0);
	t2 = now();
	printf("nodes=%d up=%.3fs down=%.3fs\n", n, t1 - t0, t2 - t1);
	return 0;
}
