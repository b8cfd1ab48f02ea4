/* The wire format of nsproc/protocol.go: fields of a 32-bit tag, a 32-bit
 * length (little-endian) and that many bytes; integers are 8 bytes. This
 * file reads and writes it, and moves packets with their descriptors. */
#ifndef NETLAB_MSG_H
#define NETLAB_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct msg_field {
	uint32_t tag;
	uint32_t len;
	const unsigned char *val;
};

struct msg_reader {
	const unsigned char *p, *end;
};

void msg_reader_init(struct msg_reader *r, const void *buf, size_t len);
/* msg_next reads the next field: 1 when there is one, 0 at the end, -1
 * when what is left is not a whole field. */
int msg_next(struct msg_reader *r, struct msg_field *f);
/* field_int reads an integer field: 0, or -1 when it is not 8 bytes. */
int field_int(const struct msg_field *f, int64_t *v);
/* field_str returns a NUL-terminated copy of a string field, or NULL when
 * it holds a NUL byte (or memory ran out). */
char *field_str(const struct msg_field *f);

struct msg_writer {
	unsigned char *buf;
	size_t len, cap;
	int failed; /* memory ran out: the message is not to be sent */
};

void msg_put_int(struct msg_writer *w, uint32_t tag, int64_t v);
void msg_put_bytes(struct msg_writer *w, uint32_t tag, const void *val, size_t len);
void msg_put_str(struct msg_writer *w, uint32_t tag, const char *s);
/* msg_begin starts a nested message of tag; msg_end, given what msg_begin
 * returned, closes it. */
size_t msg_begin(struct msg_writer *w, uint32_t tag);
void msg_end(struct msg_writer *w, size_t mark);
void msg_free(struct msg_writer *w);

/* send_msg sends w, after PACKET_MAGIC, as one packet with nfds
 * descriptors attached. */
int send_msg(int sock, const struct msg_writer *w, const int *fds, int nfds);
/* send_msg_nowait is send_msg that never blocks: EAGAIN when the peer's
 * buffer is full (a watcher that does not read). */
int send_msg_nowait(int sock, const struct msg_writer *w);
/* recv_msg reads one packet into a buffer of its own size (*buf, to free)
 * and up to maxfds descriptors, close-on-exec, and returns the message's
 * length (past PACKET_MAGIC, which it checks: EPROTO), 0 when the peer
 * hung up, -1 on an error (errno) or a packet over MAX_PACKET or with more
 * descriptors than asked for (EMSGSIZE; what came is closed). */
ssize_t recv_msg(int sock, unsigned char **buf, int *fds, int maxfds, int *nfds);

#endif
