//go:build !netlab_protogen

#define _GNU_SOURCE
#include "msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol.h"

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void msg_reader_init(struct msg_reader *r, const void *buf, size_t len)
{
	r->p = buf;
	r->end = r->p + len;
}

int msg_next(struct msg_reader *r, struct msg_field *f)
{
	size_t left = (size_t)(r->end - r->p);
	if (left == 0)
		return 0;
	if (left < 8)
		return -1;
	f->tag = get32(r->p);
	f->len = get32(r->p + 4);
	if (f->len > left - 8)
		return -1;
	f->val = r->p + 8;
	r->p += 8 + (size_t)f->len;
	return 1;
}

int field_int(const struct msg_field *f, int64_t *v)
{
	uint64_t u = 0;
	if (f->len != 8)
		return -1;
	for (int i = 7; i >= 0; i--)
		u = u << 8 | f->val[i];
	*v = (int64_t)u;
	return 0;
}

char *field_str(const struct msg_field *f)
{
	char *s;
	if (memchr(f->val, 0, f->len) != NULL)
		return NULL;
	s = malloc((size_t)f->len + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, f->val, f->len);
	s[f->len] = 0;
	return s;
}

static int grow(struct msg_writer *w, size_t more)
{
	size_t cap;
	unsigned char *b;
	if (w->failed)
		return -1;
	if (more > MAX_PACKET || w->len + more > MAX_PACKET) {
		w->failed = 1;
		return -1;
	}
	if (w->len + more <= w->cap)
		return 0;
	cap = w->cap ? w->cap : 256;
	while (cap < w->len + more)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (b == NULL) {
		w->failed = 1;
		return -1;
	}
	w->buf = b;
	w->cap = cap;
	return 0;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8 & 0xff;
	p[2] = v >> 16 & 0xff;
	p[3] = v >> 24 & 0xff;
}

void msg_put_bytes(struct msg_writer *w, uint32_t tag, const void *val, size_t len)
{
	if (grow(w, 8 + len) < 0)
		return;
	put32(w->buf + w->len, tag);
	put32(w->buf + w->len + 4, (uint32_t)len);
	if (len > 0)
		memcpy(w->buf + w->len + 8, val, len);
	w->len += 8 + len;
}

void msg_put_int(struct msg_writer *w, uint32_t tag, int64_t v)
{
	unsigned char b[8];
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++, u >>= 8)
		b[i] = u & 0xff;
	msg_put_bytes(w, tag, b, 8);
}

void msg_put_str(struct msg_writer *w, uint32_t tag, const char *s)
{
	msg_put_bytes(w, tag, s, strlen(s));
}

size_t msg_begin(struct msg_writer *w, uint32_t tag)
{
	size_t mark = w->len;
	msg_put_bytes(w, tag, NULL, 0);
	return mark;
}

void msg_end(struct msg_writer *w, size_t mark)
{
	if (!w->failed)
		put32(w->buf + mark + 4, (uint32_t)(w->len - mark - 8));
}

void msg_free(struct msg_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
	w->failed = 0;
}

static int send_msg_flags(int sock, const struct msg_writer *w, const int *fds, int nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FILES)];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = {{.iov_base = PACKET_MAGIC, .iov_len = 4}, {.iov_base = w->buf, .iov_len = w->len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t n;
	if (w->failed || w->len > MAX_PACKET - 4 || nfds < 0 || nfds > MAX_FILES) {
		errno = EMSGSIZE;
		return -1;
	}
	if (nfds > 0) {
		struct cmsghdr *c;
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

int send_msg(int sock, const struct msg_writer *w, const int *fds, int nfds)
{
	return send_msg_flags(sock, w, fds, nfds, 0);
}

int send_msg_nowait(int sock, const struct msg_writer *w)
{
	return send_msg_flags(sock, w, NULL, 0, MSG_DONTWAIT);
}

/* closefds closes the descriptors a control message carried. */
static void closefds(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *p = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, p + i, sizeof(fd));
			close(fd);
		}
	}
}

ssize_t recv_msg(int sock, unsigned char **buf, int *fds, int maxfds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FILES)];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr m;
	ssize_t n;
	unsigned char *b;

	*buf = NULL;
	*nfds = 0;
	if (maxfds > MAX_FILES)
		maxfds = MAX_FILES;
	/* The packet's length first, to read it into a buffer its size. */
	memset(&m, 0, sizeof(m));
	do
		n = recv(sock, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	b = malloc(n > 0 ? (size_t)n : 1);
	if (b == NULL)
		return -1;
	iov.iov_base = b;
	iov.iov_len = n > 0 ? (size_t)n : 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		free(b);
		return -1;
	}
	if (n > MAX_PACKET || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		closefds(&m);
		free(b);
		errno = EMSGSIZE;
		return -1;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *p = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, p + i, sizeof(fd));
			if (*nfds < maxfds)
				fds[(*nfds)++] = fd;
			else
				close(fd), errno = EMSGSIZE, n = -2;
		}
	}
	if (n == -2) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		free(b);
		errno = EMSGSIZE;
		return -1;
	}
	if (n == 0) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		free(b);
		return 0;
	}
	if (n < 4 || memcmp(b, PACKET_MAGIC, 4) != 0) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		free(b);
		errno = EPROTO;
		return -1;
	}
	memmove(b, b + 4, (size_t)n - 4);
	*buf = b;
	return n - 4;
}
