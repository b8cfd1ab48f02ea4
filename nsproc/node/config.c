//go:build !netlab_protogen

#define _GNU_SOURCE
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "protocol.h"

/* The most elements of a repeated field: far more than netlab sends. */
#define MAX_REPEAT 65536

struct dec {
	char *err;
	size_t errlen;
};

static int bad(struct dec *d, const char *fmt, ...)
{
	va_list ap;
	if (d->err[0] != 0)
		return -1; /* the innermost reason wins */
	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* once refuses a scalar field given twice: bit (tag % 64) of *seen. */
static int once(struct dec *d, uint64_t *seen, const struct msg_field *f)
{
	uint64_t bit = (uint64_t)1 << (f->tag % 64);
	if (*seen & bit)
		return bad(d, "field %u given twice", f->tag);
	*seen |= bit;
	return 0;
}

static int get_int(struct dec *d, const struct msg_field *f, int64_t *v)
{
	if (field_int(f, v) < 0)
		return bad(d, "field %u: an integer of %u bytes, want 8", f->tag, f->len);
	return 0;
}

static int get_bool(struct dec *d, const struct msg_field *f, int *v)
{
	int64_t n;
	if (get_int(d, f, &n) < 0)
		return -1;
	if (n != 1)
		return bad(d, "field %u: a boolean of %lld", f->tag, (long long)n);
	*v = 1;
	return 0;
}

static int get_str(struct dec *d, const struct msg_field *f, char **s)
{
	*s = field_str(f);
	if (*s == NULL)
		return bad(d, "field %u: a string holding a NUL byte (or out of memory)", f->tag);
	return 0;
}

static int get_bytes(struct dec *d, const struct msg_field *f, unsigned char **b, size_t *len)
{
	*b = malloc(f->len ? f->len : 1);
	if (*b == NULL)
		return bad(d, "field %u: out of memory", f->tag);
	memcpy(*b, f->val, f->len);
	*len = f->len;
	return 0;
}

static int push_str(struct dec *d, const struct msg_field *f, struct strv *sv)
{
	char **v;
	if (sv->n >= MAX_REPEAT)
		return bad(d, "field %u: more than %d", f->tag, MAX_REPEAT);
	v = realloc(sv->v, (sv->n + 2) * sizeof(*v));
	if (v == NULL)
		return bad(d, "field %u: out of memory", f->tag);
	sv->v = v;
	if (get_str(d, f, &v[sv->n]) < 0) {
		v[sv->n] = NULL;
		return -1;
	}
	v[++sv->n] = NULL;
	return 0;
}

/* grow makes room for one more element of size sz in *arr of *n. */
static void *grow(struct dec *d, const struct msg_field *f, void **arr, size_t *n, size_t sz)
{
	unsigned char *a;
	if (*n >= MAX_REPEAT) {
		bad(d, "field %u: more than %d", f->tag, MAX_REPEAT);
		return NULL;
	}
	a = realloc(*arr, (*n + 1) * sz);
	if (a == NULL) {
		bad(d, "field %u: out of memory", f->tag);
		return NULL;
	}
	*arr = a;
	memset(a + *n * sz, 0, sz);
	return a + (*n)++ * sz;
}

static int unknown(struct dec *d, const struct msg_field *f, const char *msg)
{
	return bad(d, "field %u: not one of %s", f->tag, msg);
}

/* Each decoder below reads one message type's fields from r. */

static int dec_layer(struct dec *d, const struct msg_field *in, struct layer_file *l)
{
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	int64_t v;
	msg_reader_init(&r, in->val, in->len);
	while ((k = msg_next(&r, &f)) > 0) {
		if (once(d, &seen, &f) < 0)
			return -1;
		switch (f.tag) {
		case T_LAYER_PATH:
			if (get_str(d, &f, &l->path) < 0)
				return -1;
			break;
		case T_LAYER_DIR:
			if (get_bool(d, &f, &l->dir) < 0)
				return -1;
			break;
		case T_LAYER_DATA:
			if (get_bytes(d, &f, &l->data, &l->len) < 0)
				return -1;
			break;
		case T_LAYER_MODE:
			if (get_int(d, &f, &v) < 0)
				return -1;
			if (v < 0 || v > 07777)
				return bad(d, "layer file mode %lld", (long long)v);
			l->mode = (uint32_t)v;
			break;
		case T_LAYER_UID:
			if (get_int(d, &f, &l->uid) < 0)
				return -1;
			break;
		case T_LAYER_GID:
			if (get_int(d, &f, &l->gid) < 0)
				return -1;
			break;
		default:
			return unknown(d, &f, "LayerFile");
		}
	}
	if (k < 0)
		return bad(d, "LayerFile: a field cut short");
	if (l->path == NULL)
		return bad(d, "LayerFile without a path");
	return 0;
}

static int dec_bind(struct dec *d, const struct msg_field *in, struct bind_spec *b)
{
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	b->fd = -1;
	msg_reader_init(&r, in->val, in->len);
	while ((k = msg_next(&r, &f)) > 0) {
		if (once(d, &seen, &f) < 0)
			return -1;
		switch (f.tag) {
		case T_BIND_SOURCE:
			if (get_str(d, &f, &b->source) < 0)
				return -1;
			break;
		case T_BIND_TARGET:
			if (get_str(d, &f, &b->target) < 0)
				return -1;
			break;
		case T_BIND_READONLY:
			if (get_bool(d, &f, &b->readonly) < 0)
				return -1;
			break;
		case T_BIND_TREE:
			if (get_bool(d, &f, &b->tree) < 0)
				return -1;
			break;
		default:
			return unknown(d, &f, "bindSpec");
		}
	}
	if (k < 0)
		return bad(d, "bindSpec: a field cut short");
	if (b->target == NULL || b->target[0] != '/' || b->source == NULL || b->source[0] != '/')
		return bad(d, "a bind without an absolute source and target");
	return 0;
}

static int dec_spawn(struct dec *d, const struct msg_field *in, struct spawn_req *s)
{
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	msg_reader_init(&r, in->val, in->len);
	while ((k = msg_next(&r, &f)) > 0) {
		void *e;
		switch (f.tag) {
		case T_SPAWN_ID:
			if (once(d, &seen, &f) < 0 || get_int(d, &f, &s->id) < 0)
				return -1;
			break;
		case T_SPAWN_NODE:
			if (once(d, &seen, &f) < 0 || get_str(d, &f, &s->node) < 0)
				return -1;
			break;
		case T_SPAWN_HOSTNAME:
			if (once(d, &seen, &f) < 0 || get_str(d, &f, &s->hostname) < 0)
				return -1;
			break;
		case T_SPAWN_SYSCTLS:
			if (push_str(d, &f, &s->sysctls) < 0)
				return -1;
			break;
		case T_SPAWN_LAYER:
			e = grow(d, &f, (void **)&s->layer, &s->nlayer, sizeof(*s->layer));
			if (e == NULL || dec_layer(d, &f, e) < 0)
				return -1;
			break;
		case T_SPAWN_BINDS:
			e = grow(d, &f, (void **)&s->binds, &s->nbinds, sizeof(*s->binds));
			if (e == NULL || dec_bind(d, &f, e) < 0)
				return -1;
			break;
		case T_SPAWN_TMPFSSIZE:
			if (once(d, &seen, &f) < 0 || get_int(d, &f, &s->tmpfs_size) < 0)
				return -1;
			break;
		case T_SPAWN_CGROUPS:
			if (once(d, &seen, &f) < 0 || get_int(d, &f, &s->cgroups) < 0)
				return -1;
			break;
		case T_SPAWN_HELD:
			if (once(d, &seen, &f) < 0 || get_bool(d, &f, &s->held) < 0)
				return -1;
			break;
		case T_SPAWN_CLOCKOFFSET:
			if (once(d, &seen, &f) < 0 || get_int(d, &f, &s->clock_offset) < 0)
				return -1;
			break;
		default:
			return unknown(d, &f, "spawnRequest");
		}
	}
	if (k < 0)
		return bad(d, "spawnRequest: a field cut short");
	s->listen_fd = s->held_userns = s->held_netns = -1;
	if (s->id <= 0 || s->node == NULL || s->hostname == NULL)
		return bad(d, "spawnRequest without an id, a node or a hostname");
	if (s->tmpfs_size < 0 || s->cgroups < 0 || s->cgroups > 8)
		return bad(d, "spawnRequest: tmpfs size %lld, %lld cgroups", (long long)s->tmpfs_size, (long long)s->cgroups);
	return 0;
}

static int dec_begin(struct dec *d, const struct msg_field *in, struct begin_req *b)
{
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	msg_reader_init(&r, in->val, in->len);
	while ((k = msg_next(&r, &f)) > 0) {
		int64_t *v;
		if (once(d, &seen, &f) < 0)
			return -1;
		switch (f.tag) {
		case T_BEGIN_ID:
			v = &b->id;
			break;
		case T_BEGIN_UID:
			v = &b->uid;
			break;
		case T_BEGIN_GID:
			v = &b->gid;
			break;
		default:
			return unknown(d, &f, "labBegin");
		}
		if (get_int(d, &f, v) < 0)
			return -1;
	}
	if (k < 0)
		return bad(d, "labBegin: a field cut short");
	if (b->id <= 0 || b->uid < 0 || b->uid > 0xfffffffe || b->gid < 0 || b->gid > 0xfffffffe)
		return bad(d, "labBegin: id %lld, ids %lld:%lld", (long long)b->id, (long long)b->uid, (long long)b->gid);
	return 0;
}

static int dec_setup(struct dec *d, const struct msg_field *in, struct setup_req *s)
{
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	msg_reader_init(&r, in->val, in->len);
	while ((k = msg_next(&r, &f)) > 0) {
		switch (f.tag) {
		case T_SETUP_ID:
			if (once(d, &seen, &f) < 0 || get_int(d, &f, &s->id) < 0)
				return -1;
			break;
		case T_SETUP_HIDE:
			if (push_str(d, &f, &s->hide) < 0)
				return -1;
			break;
		case T_SETUP_CAPS:
			if (push_str(d, &f, &s->caps) < 0)
				return -1;
			break;
		case T_SETUP_NPROC:
			if (once(d, &seen, &f) < 0 || get_int(d, &f, &s->nproc) < 0)
				return -1;
			if (s->nproc < 0)
				return bad(d, "labSetup: RLIMIT_NPROC %lld", (long long)s->nproc);
			break;
		case T_SETUP_LISTEN:
			if (once(d, &seen, &f) < 0 || get_bool(d, &f, &s->listen) < 0)
				return -1;
			break;
		default:
			return unknown(d, &f, "labSetup");
		}
	}
	if (k < 0)
		return bad(d, "labSetup: a field cut short");
	if (s->id <= 0)
		return bad(d, "labSetup without an id");
	return 0;
}

static int dec_node_op(struct dec *d, const struct msg_field *in, struct node_op *o)
{
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	msg_reader_init(&r, in->val, in->len);
	while ((k = msg_next(&r, &f)) > 0) {
		if (once(d, &seen, &f) < 0)
			return -1;
		switch (f.tag) {
		case T_NODEOP_ID:
			if (get_int(d, &f, &o->id) < 0)
				return -1;
			break;
		case T_NODEOP_NODE:
			if (get_str(d, &f, &o->node) < 0)
				return -1;
			break;
		default:
			return unknown(d, &f, "nodeOp");
		}
	}
	if (k < 0)
		return bad(d, "nodeOp: a field cut short");
	if (o->id <= 0 || o->node == NULL)
		return bad(d, "nodeOp without an id or a node");
	return 0;
}

int decode_control(const void *buf, size_t len, struct control *c, char *err, size_t errlen)
{
	struct dec d = {err, errlen};
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k, set = 0;
	memset(c, 0, sizeof(*c));
	err[0] = 0;
	msg_reader_init(&r, buf, len);
	while ((k = msg_next(&r, &f)) > 0) {
		if (once(&d, &seen, &f) < 0)
			goto fail;
		set++;
		switch (f.tag) {
		case T_CONTROL_MAPPED:
			if (get_int(&d, &f, &c->mapped) < 0)
				goto fail;
			if (c->mapped <= 0) {
				bad(&d, "a Mapped message without an id");
				goto fail;
			}
			break;
		case T_CONTROL_BEGIN:
			c->begin = calloc(1, sizeof(*c->begin));
			if (c->begin == NULL || dec_begin(&d, &f, c->begin) < 0)
				goto fail;
			break;
		case T_CONTROL_DETACH:
			if (get_bool(&d, &f, &c->detach) < 0)
				goto fail;
			break;
		case T_CONTROL_NETLINK:
			if (get_int(&d, &f, &c->netlink) < 0)
				goto fail;
			if (c->netlink <= 0) {
				bad(&d, "a netlink request without an id");
				goto fail;
			}
			break;
		case T_CONTROL_SETUP:
			c->setup = calloc(1, sizeof(*c->setup));
			if (c->setup == NULL || dec_setup(&d, &f, c->setup) < 0)
				goto fail;
			break;
		case T_CONTROL_SPAWN:
			c->spawn = calloc(1, sizeof(*c->spawn));
			if (c->spawn == NULL || dec_spawn(&d, &f, c->spawn) < 0)
				goto fail;
			break;
		case T_CONTROL_STOP:
			c->stop = calloc(1, sizeof(*c->stop));
			if (c->stop == NULL || dec_node_op(&d, &f, c->stop) < 0)
				goto fail;
			break;
		case T_CONTROL_NODENETLINK:
			c->node_netlink = calloc(1, sizeof(*c->node_netlink));
			if (c->node_netlink == NULL || dec_node_op(&d, &f, c->node_netlink) < 0)
				goto fail;
			break;
		case T_CONTROL_WATCH:
			if (get_int(&d, &f, &c->watch) < 0)
				goto fail;
			if (c->watch <= 0) {
				bad(&d, "a watch request without an id");
				goto fail;
			}
			break;
		default:
			unknown(&d, &f, "control");
			goto fail;
		}
	}
	if (k < 0) {
		bad(&d, "control: a field cut short");
		goto fail;
	}
	if (set != 1) {
		bad(&d, "control: %d requests in one message, want one", set);
		goto fail;
	}
	return 0;
fail:
	bad(&d, "out of memory");
	free_control(c);
	return -1;
}

static int dec_exec(struct dec *d, const struct msg_field *in, struct exec_req *e)
{
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	msg_reader_init(&r, in->val, in->len);
	while ((k = msg_next(&r, &f)) > 0) {
		if (f.tag != T_EXEC_ARGV && f.tag != T_EXEC_ENV && once(d, &seen, &f) < 0)
			return -1;
		switch (f.tag) {
		case T_EXEC_ARGV:
			if (push_str(d, &f, &e->argv) < 0)
				return -1;
			break;
		case T_EXEC_ENV:
			if (push_str(d, &f, &e->env) < 0)
				return -1;
			break;
		case T_EXEC_DIR:
			if (get_str(d, &f, &e->dir) < 0)
				return -1;
			break;
		case T_EXEC_PTY:
			if (get_bool(d, &f, &e->pty) < 0)
				return -1;
			break;
		case T_EXEC_ROWS:
			if (get_int(d, &f, &e->rows) < 0)
				return -1;
			break;
		case T_EXEC_COLS:
			if (get_int(d, &f, &e->cols) < 0)
				return -1;
			break;
		case T_EXEC_LOG:
			if (get_str(d, &f, &e->log) < 0)
				return -1;
			break;
		case T_EXEC_SERVICE:
			if (get_str(d, &f, &e->service) < 0)
				return -1;
			break;
		default:
			return unknown(d, &f, "execRequest");
		}
	}
	if (k < 0)
		return bad(d, "execRequest: a field cut short");
	if (e->rows < 0 || e->rows > 0xffff || e->cols < 0 || e->cols > 0xffff)
		return bad(d, "a pty of %lld rows and %lld columns", (long long)e->rows, (long long)e->cols);
	return 0;
}

static int dec_put(struct dec *d, const struct msg_field *in, struct put_req *p)
{
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	msg_reader_init(&r, in->val, in->len);
	while ((k = msg_next(&r, &f)) > 0) {
		if (once(d, &seen, &f) < 0)
			return -1;
		switch (f.tag) {
		case T_PUT_PATH:
			if (get_str(d, &f, &p->path) < 0)
				return -1;
			break;
		case T_PUT_DATA:
			if (get_bytes(d, &f, &p->data, &p->len) < 0)
				return -1;
			break;
		case T_PUT_MODE:
			if (get_int(d, &f, &p->mode) < 0)
				return -1;
			break;
		case T_PUT_UID:
			if (get_int(d, &f, &p->uid) < 0)
				return -1;
			break;
		case T_PUT_GID:
			if (get_int(d, &f, &p->gid) < 0)
				return -1;
			break;
		default:
			return unknown(d, &f, "putRequest");
		}
	}
	if (k < 0)
		return bad(d, "putRequest: a field cut short");
	if (p->path == NULL)
		p->path = strdup("");
	if (p->path == NULL)
		return bad(d, "out of memory");
	if (p->mode < 0 || p->mode > 07777 || p->uid < 0 || p->uid > 0xfffffffe || p->gid < 0 || p->gid > 0xfffffffe)
		return bad(d, "putRequest: mode %llo, owner %lld:%lld", (long long)p->mode, (long long)p->uid, (long long)p->gid);
	return 0;
}

int decode_request(const void *buf, size_t len, struct node_req *q, char *err, size_t errlen)
{
	struct dec d = {err, errlen};
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k, set = 0;
	memset(q, 0, sizeof(*q));
	err[0] = 0;
	msg_reader_init(&r, buf, len);
	while ((k = msg_next(&r, &f)) > 0) {
		if (f.tag != T_REQ_SYSCTLS || q->sysctls.n == 0)
			set++;
		if (f.tag != T_REQ_SYSCTLS && once(&d, &seen, &f) < 0)
			goto fail;
		switch (f.tag) {
		case T_REQ_EXEC:
			q->exec = calloc(1, sizeof(*q->exec));
			if (q->exec == NULL || dec_exec(&d, &f, q->exec) < 0)
				goto fail;
			break;
		case T_REQ_PUT:
			q->put = calloc(1, sizeof(*q->put));
			if (q->put == NULL || dec_put(&d, &f, q->put) < 0)
				goto fail;
			break;
		case T_REQ_SERVICES:
			if (get_bool(&d, &f, &q->services) < 0)
				goto fail;
			break;
		case T_REQ_NETLINK:
			if (get_bool(&d, &f, &q->netlink) < 0)
				goto fail;
			break;
		case T_REQ_SYSCTLS:
			if (push_str(&d, &f, &q->sysctls) < 0)
				goto fail;
			break;
		case T_REQ_PACKET:
			if (get_str(&d, &f, &q->packet) < 0)
				goto fail;
			break;
		case T_REQ_WATCH:
			if (get_bool(&d, &f, &q->watch) < 0)
				goto fail;
			break;
		default:
			unknown(&d, &f, "nodeRequest");
			goto fail;
		}
	}
	if (k < 0) {
		bad(&d, "nodeRequest: a field cut short");
		goto fail;
	}
	if (set != 1) {
		bad(&d, "nodeRequest: %d requests in one message, want one", set);
		goto fail;
	}
	return 0;
fail:
	bad(&d, "out of memory");
	free_request(q);
	return -1;
}

int decode_signal(const void *buf, size_t len, int64_t *sig, char *err, size_t errlen)
{
	struct dec d = {err, errlen};
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	*sig = 0;
	err[0] = 0;
	msg_reader_init(&r, buf, len);
	while ((k = msg_next(&r, &f)) > 0) {
		if (once(&d, &seen, &f) < 0)
			return -1;
		if (f.tag != T_EVENT_SIGNAL)
			return unknown(&d, &f, "execEvent from a client");
		if (get_int(&d, &f, sig) < 0)
			return -1;
		if (*sig < 1 || *sig > 64)
			return bad(&d, "signal %lld", (long long)*sig);
	}
	if (k < 0)
		return bad(&d, "execEvent: a field cut short");
	return 0;
}

int decode_ready(const void *buf, size_t len, char *msg, size_t msglen, char *err, size_t errlen)
{
	struct dec d = {err, errlen};
	struct msg_reader r;
	struct msg_field f;
	uint64_t seen = 0;
	int k;
	msg[0] = 0;
	err[0] = 0;
	msg_reader_init(&r, buf, len);
	while ((k = msg_next(&r, &f)) > 0) {
		size_t n = f.len < msglen - 1 ? f.len : msglen - 1;
		if (once(&d, &seen, &f) < 0)
			return -1;
		if (f.tag != T_READY_ERROR)
			return unknown(&d, &f, "readyReport");
		memcpy(msg, f.val, n);
		msg[n] = 0;
	}
	if (k < 0)
		return bad(&d, "readyReport: a field cut short");
	return msg[0] != 0;
}

void free_strv(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void free_spawn(struct spawn_req *s)
{
	if (s == NULL)
		return;
	free(s->node);
	free(s->hostname);
	free_strv(&s->sysctls);
	for (size_t i = 0; i < s->nlayer; i++) {
		free(s->layer[i].path);
		free(s->layer[i].data);
	}
	free(s->layer);
	for (size_t i = 0; i < s->nbinds; i++) {
		free(s->binds[i].source);
		free(s->binds[i].target);
	}
	free(s->binds);
	free(s);
}

static void free_node_op(struct node_op *o)
{
	if (o != NULL)
		free(o->node);
	free(o);
}

void free_control(struct control *c)
{
	if (c->setup != NULL) {
		free_strv(&c->setup->hide);
		free_strv(&c->setup->caps);
	}
	free(c->setup);
	free(c->begin);
	free_spawn(c->spawn);
	free_node_op(c->stop);
	free_node_op(c->node_netlink);
	memset(c, 0, sizeof(*c));
}

void free_request(struct node_req *q)
{
	if (q->exec != NULL) {
		free_strv(&q->exec->argv);
		free_strv(&q->exec->env);
		free(q->exec->dir);
		free(q->exec->log);
		free(q->exec->service);
		free(q->exec);
	}
	if (q->put != NULL) {
		free(q->put->path);
		free(q->put->data);
		free(q->put);
	}
	free_strv(&q->sysctls);
	free(q->packet);
	memset(q, 0, sizeof(*q));
}
