/*
 * berth-proxy: the userland proxy of one published port, as Docker's
 * docker-proxy. berthd starts one per host address/port/protocol:
 *
 *   berth-proxy -proto tcp|udp -host-ip IP -host-port N \
 *               -container-ip IP -container-port N [-owner EXEC_ROOT]
 *
 * It binds the host port itself and reports on fd 3 (a pipe from berthd),
 * one line, then closes it:
 *   "ok <port>\n"              bound (the chosen port when 0 was asked)
 *   "err <errno> <message>\n"  bind/listen failed (exit 1), or bad arguments
 *                              (errno 22, usage on stderr, exit 2)
 * It outlives berthd (a published port keeps answering while the daemon is
 * killed and restarted; berthd records its pid and re-adopts it), and ends on
 * SIGTERM, when berthd is gone before it heard the report (EPIPE: nobody
 * recorded this process), or when its listening socket fails. -owner only
 * names the daemon (its exec root) in the argv, so that a proxy whose record
 * was never written can still be found and ended.
 *
 * TCP: every accepted connection gets a connection to the container and two
 * pipes; bytes move socket → pipe → socket with splice(2), never through
 * user space. A half-close (EOF one way) is passed on with shutdown(SHUT_WR)
 * once that direction's pipe is drained, as docker-proxy's CloseWrite. An
 * error on either side ends both. A busy connection moves at most
 * PUMP_ROUNDS rounds per turn so others are served too; out of descriptors,
 * accepting pauses instead of spinning.
 * UDP: one connected socket to the container per client address, dropped
 * after 90 s without traffic (docker-proxy's UDPConnTrackTimeout); at most
 * UDP_MAX_FLOWS of them (fewer under a low RLIMIT_NOFILE), the least
 * recently used one giving way to a new client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PIPE_BYTES (1 << 20)
#define UDP_IDLE_SECONDS 90
#define UDP_MAX_FLOWS 4096
#define MAX_EVENTS 256
#define UDP_BATCH 256 /* datagrams per readiness event, so a flood one way does not starve the other or the expiry */

/* ---- arguments and addresses ---- */

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static int parse_addr(const char *ip, int port, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (port < 0 || port > 65535)
		return -1;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	if (ip[0] == '\0') ip = "0.0.0.0";
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		out->len = sizeof(*v4);
		return 0;
	}
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(ip);
	if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, ip + 1, n - 2);
		buf[n - 2] = '\0';
		ip = buf;
	}
	if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*v6);
		return 0;
	}
	return -1;
}

static void fail_bind(int err) __attribute__((noreturn));
static int bound_port(int fd);

static int ready_fd = 3;

/*
 * Writes the one report line on fd 3 and closes it. -1 when berthd did not
 * get it: EPIPE means the reading end is gone (berthd died or gave up
 * waiting), so nobody recorded this process and nobody would stop it.
 */
static int report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int report(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	int rc = 0;
	if (ready_fd >= 0 && n > 0) {
		size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
		ssize_t w;
		do w = write(ready_fd, line, len);
		while (w < 0 && errno == EINTR);
		if (w != (ssize_t)len) rc = -1;
		close(ready_fd);
	}
	ready_fd = -1;
	return rc;
}

/* "ok PORT": berthd may now rely on the port; exit at once if it is not there to hear it. */
static void report_ready(int fd)
{
	int port = bound_port(fd);
	if (port < 0) fail_bind(errno);
	if (report("ok %d\n", port) < 0) _exit(1);
}

static void fail_bind(int err)
{
	report("err %d %s\n", err, strerror(err));
	exit(1);
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int bind_host(int type, const struct addr *a)
{
	int fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail_bind(errno);
	int one = 1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The IPv4 address is published on its own, as Docker does. */
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
		fail_bind(errno);
	if (type == SOCK_STREAM && listen(fd, 4096) < 0)
		fail_bind(errno);
	return fd;
}

static int epfd = -1;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- TCP ---- */

struct conn;

/* One direction of a connection: src → pipe → dst. */
struct half {
	int src, dst;
	int pipe[2];
	size_t inpipe;
	size_t cap;  /* the pipe's size: grown to PIPE_BYTES once a bulk transfer fills it */
	int eof;     /* src has sent FIN */
	int shut;    /* FIN passed on to dst */
};

struct conn {
	int client, upstream;
	int connecting;
	int dead; /* freed after the current batch of events: another event of it may follow */
	int queued; /* on the ready list */
	struct conn *next_dead, *next_ready;
	struct half up, down; /* client → upstream, upstream → client */
};

static struct addr target;
static struct conn *dead_conns;
/* Connections that used up their turn with bytes still moving: continued after the current batch, so one fast transfer cannot starve the others. */
static struct conn *ready_conns;
#define PUMP_ROUNDS 16
static int listen_fd = -1;
static int accept_paused; /* out of fds/memory: the listener is out of the epoll set until one is freed or a pause passed */
static int64_t accept_paused_at;
#define ACCEPT_PAUSE_MS 100

/* Empty pipes of finished connections, reused as Go's splice does: saves pipe2/close per connection. */
#define PIPE_POOL 64
static struct pooled {
	int fd[2];
	size_t cap;
} pipe_pool[PIPE_POOL];
static int pooled_pipes;

static int new_pipe(struct half *h)
{
	if (pooled_pipes > 0) {
		struct pooled *p = &pipe_pool[--pooled_pipes];
		h->pipe[0] = p->fd[0];
		h->pipe[1] = p->fd[1];
		h->cap = p->cap;
		return 0;
	}
	if (pipe2(h->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	int cap = fcntl(h->pipe[1], F_GETPIPE_SZ);
	h->cap = cap > 0 ? (size_t)cap : 65536;
	return 0;
}

/* A drained pipe goes back to the pool; one with bytes left in it is closed. */
static void put_pipe(struct half *h)
{
	if (h->pipe[0] < 0) return;
	if (h->inpipe == 0 && pooled_pipes < PIPE_POOL) {
		pipe_pool[pooled_pipes++] = (struct pooled){{h->pipe[0], h->pipe[1]}, h->cap};
	} else {
		close(h->pipe[0]);
		close(h->pipe[1]);
	}
	h->pipe[0] = h->pipe[1] = -1;
}

static void conn_free(struct conn *c)
{
	/* close() also takes the fds out of the epoll set. */
	if (c->client >= 0) close(c->client);
	if (c->upstream >= 0) close(c->upstream);
	put_pipe(&c->up);
	put_pipe(&c->down);
	c->dead = 1;
	c->next_dead = dead_conns;
	dead_conns = c;
}

static void accept_pause(int on)
{
	if (accept_paused == on) return;
	struct epoll_event e = {.events = on ? 0 : EPOLLIN, .data.ptr = &listen_fd};
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, listen_fd, &e) == 0) {
		accept_paused = on;
		accept_paused_at = now_ms();
	}
}

static void reap_dead(void)
{
	while (dead_conns) {
		struct conn *c = dead_conns;
		dead_conns = c->next_dead;
		free(c);
	}
}


/* Moves what can move now, at most PUMP_ROUNDS rounds: 1 when more may move at once, -1 when the connection is broken. */
static int pump(struct half *h)
{
	int more = 0;
	for (int round = 0;; round++) {
		int progress = 0;
		if (!h->eof && h->inpipe < h->cap) {
			ssize_t n = splice(h->src, NULL, h->pipe[1], NULL, h->cap - h->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				h->inpipe += (size_t)n;
				progress = 1;
			} else if (n == 0) {
				h->eof = 1;
				progress = 1;
			} else if (errno == EAGAIN && h->inpipe > 0 && h->cap < PIPE_BYTES) {
				/* The pipe filled up (splice saw no free slot): a bulk transfer, give it room. */
				int cap = fcntl(h->pipe[1], F_SETPIPE_SZ, PIPE_BYTES);
				if (cap > 0 && (size_t)cap > h->cap) {
					h->cap = (size_t)cap;
					progress = 1;
				} else {
					h->cap = PIPE_BYTES; /* not allowed to grow: stop trying */
				}
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (h->inpipe > 0) {
			ssize_t n = splice(h->pipe[0], NULL, h->dst, NULL, h->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				h->inpipe -= (size_t)n;
				progress = 1;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (!progress)
			break;
		if (round + 1 >= PUMP_ROUNDS) {
			more = 1;
			break;
		}
	}
	if (h->eof && h->inpipe == 0 && !h->shut) {
		shutdown(h->dst, SHUT_WR);
		h->shut = 1;
	}
	return more;
}

/*
 * Both fds are in the epoll set edge-triggered for reading and writing, so
 * every event pumps both ways until nothing moves; the set never changes.
 * A side that fails (reset, timeout: EPOLLERR) ends the whole connection,
 * also when no splice would notice it: e.g. a client that half-closed and
 * then reset, with the container silent, would otherwise hold the
 * connection (2 sockets, 4 pipe fds) for as long as the container does.
 */
static void conn_step(struct conn *c, uint32_t events)
{
	int up = 0, down = 0;
	/* What was received before the error still moves first. */
	if ((up = pump(&c->up)) < 0 || (down = pump(&c->down)) < 0 || (events & EPOLLERR) || (c->up.shut && c->down.shut)) {
		conn_free(c);
		return;
	}
	if ((up || down) && !c->queued) {
		c->queued = 1;
		c->next_ready = ready_conns;
		ready_conns = c;
	}
}

/* Gives every connection that used up its turn another; dead ones leave the list before they are freed. */
static void run_ready(void)
{
	struct conn *list = ready_conns;
	ready_conns = NULL;
	while (list) {
		struct conn *c = list;
		list = c->next_ready;
		c->queued = 0;
		if (!c->dead) conn_step(c, 0);
	}
}

static int watch(int fd, void *ptr)
{
	struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = ptr};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

static void tcp_accept(int lfd)
{
	for (;;) {
		int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/*
			 * Out of descriptors or memory: the level-triggered listener would
			 * wake us at once again. Take it out of the set until a connection
			 * ends or a moment passed; the others keep flowing meanwhile.
			 */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				accept_pause(1);
			return;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->client = cfd;
		c->up.pipe[0] = c->up.pipe[1] = c->down.pipe[0] = c->down.pipe[1] = -1;
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->upstream = socket(target.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->upstream < 0 || new_pipe(&c->up) < 0 || new_pipe(&c->down) < 0) {
			int err = errno;
			conn_free(c);
			/* Out of descriptors: leave the rest in the backlog rather than accept and drop them all. */
			if (err == EMFILE || err == ENFILE || err == ENOMEM) {
				accept_pause(1);
				return;
			}
			continue;
		}
		setsockopt(c->upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->up.src = c->down.dst = c->client;
		c->up.dst = c->down.src = c->upstream;
		c->connecting = 1;
		if (connect(c->upstream, (struct sockaddr *)&target.ss, target.len) < 0 && errno != EINPROGRESS) {
			conn_free(c); /* the client sees its connection closed, as with docker-proxy */
			continue;
		}
		/* The client is read only once the container side is connected. */
		if (watch(c->upstream, c) < 0) conn_free(c);
	}
}

static void tcp_event(struct conn *c, uint32_t events)
{
	if (c->dead) return;
	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(c->upstream, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			conn_free(c);
			return;
		}
		c->connecting = 0;
		if (watch(c->client, c) < 0) {
			conn_free(c);
			return;
		}
		events &= ~(uint32_t)EPOLLERR; /* SO_ERROR said the upstream is fine */
	}
	conn_step(c, events);
}

static void run_tcp(const struct addr *host)
{
	int lfd = listen_fd = bind_host(SOCK_STREAM, host);
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &listen_fd};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &e) < 0) fail_bind(errno);
	report_ready(lfd);
	struct epoll_event evs[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(epfd, evs, MAX_EVENTS, ready_conns ? 0 : accept_paused ? ACCEPT_PAUSE_MS : -1);
		if (n < 0) {
			if (errno == EINTR) continue;
			exit(1);
		}
		int ended = 0;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_fd) {
				/* The listener was shut down under us (the port is gone): nothing left to serve. */
				if (evs[i].events & EPOLLHUP) exit(0);
				tcp_accept(lfd);
			} else {
				struct conn *c = evs[i].data.ptr;
				tcp_event(c, evs[i].events);
				ended |= c->dead;
			}
		}
		run_ready();
		/* A connection that ended gave descriptors back, or the pause is over. */
		if (accept_paused && (ended || now_ms() - accept_paused_at >= ACCEPT_PAUSE_MS)) accept_pause(0);
		reap_dead();
	}
}

/* ---- UDP ---- */

/*
 * Flows are found by client address in a hash table and kept in LRU order
 * (most recent first), so expiry looks at the old end only and a flood of
 * source addresses evicts the least recently used flow instead of growing
 * without bound: at most max_flows sockets (UDP_MAX_FLOWS, less when
 * RLIMIT_NOFILE is lower) and their memory.
 */
struct flow {
	struct sockaddr_storage client;
	socklen_t client_len;
	int fd; /* connected to the container; -1 once dropped */
	time_t last;
	struct flow *hnext;       /* hash chain */
	struct flow *newer, *older; /* LRU list */
};

#define FLOW_BUCKETS 8192 /* a power of two */
static struct flow *flow_table[FLOW_BUCKETS];
static struct flow *newest, *oldest;
static struct flow *dead_flows; /* dropped during this batch of events (chained by hnext): freed after it */
static int nflows, max_flows = UDP_MAX_FLOWS;
static int udp_listen_fd = -1;
static unsigned char dgram[65536];

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static uint32_t flow_hash(const struct sockaddr_storage *a, socklen_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	const unsigned char *p = (const unsigned char *)a;
	for (socklen_t i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
	return h & (FLOW_BUCKETS - 1);
}

static void lru_unlink(struct flow *f)
{
	if (f->newer) f->newer->older = f->older;
	else newest = f->older;
	if (f->older) f->older->newer = f->newer;
	else oldest = f->newer;
	f->newer = f->older = NULL;
}

static void lru_push(struct flow *f)
{
	f->older = newest;
	f->newer = NULL;
	if (newest) newest->newer = f;
	newest = f;
	if (!oldest) oldest = f;
}

static void flow_touch(struct flow *f)
{
	f->last = now_s();
	if (newest != f) {
		lru_unlink(f);
		lru_push(f);
	}
}

/* Closes the flow's socket (which leaves the epoll set) now; frees it after the current batch of events. */
static void flow_drop(struct flow *f)
{
	struct flow **link = &flow_table[flow_hash(&f->client, f->client_len)];
	while (*link != f) link = &(*link)->hnext;
	*link = f->hnext;
	lru_unlink(f);
	close(f->fd);
	f->fd = -1;
	f->hnext = dead_flows;
	dead_flows = f;
	nflows--;
}

static void reap_flows(void)
{
	while (dead_flows) {
		struct flow *f = dead_flows;
		dead_flows = f->hnext;
		free(f);
	}
}

static struct flow *flow_for(const struct sockaddr_storage *from, socklen_t len)
{
	if (len > sizeof(*from)) return NULL;
	uint32_t b = flow_hash(from, len);
	for (struct flow *f = flow_table[b]; f; f = f->hnext)
		if (f->client_len == len && memcmp(&f->client, from, len) == 0)
			return f;
	if (nflows >= max_flows && oldest)
		flow_drop(oldest);
	struct flow *f = calloc(1, sizeof(*f));
	if (!f) return NULL;
	f->fd = socket(target.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0 && (errno == EMFILE || errno == ENFILE) && oldest) {
		/* Fewer descriptors than thought: give the oldest flow's up. */
		flow_drop(oldest);
		f->fd = socket(target.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = f};
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&target.ss, target.len) < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, f->fd, &e) < 0) {
		if (f->fd >= 0) close(f->fd);
		free(f);
		return NULL;
	}
	memcpy(&f->client, from, len);
	f->client_len = len;
	f->hnext = flow_table[b];
	flow_table[b] = f;
	lru_push(f);
	nflows++;
	return f;
}

static void udp_from_clients(void)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(udp_listen_fd, dgram, sizeof(dgram), 0, (struct sockaddr *)&from, &len);
		if (n < 0) {
			if (errno == EINTR) continue;
			return;
		}
		struct flow *f = flow_for(&from, len);
		if (!f) continue;
		flow_touch(f);
		ssize_t w = send(f->fd, dgram, (size_t)n, 0);
		(void)w; /* a datagram the container does not take is lost, as on the wire */
	}
}

static void udp_from_container(struct flow *f)
{
	for (int i = 0; i < UDP_BATCH && f->fd >= 0; i++) {
		ssize_t n = recv(f->fd, dgram, sizeof(dgram), 0);
		if (n < 0) {
			if (errno == EINTR) continue;
			return; /* EAGAIN; ECONNREFUSED (nothing listens yet) is not fatal for the flow */
		}
		flow_touch(f);
		ssize_t w = sendto(udp_listen_fd, dgram, (size_t)n, 0, (struct sockaddr *)&f->client, f->client_len);
		(void)w;
	}
}

static void run_udp(const struct addr *host)
{
	/* Each flow holds a descriptor: stay clear of the limit (listener, epoll, stdio and some slack). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)UDP_MAX_FLOWS + 64)
		max_flows = rl.rlim_cur > 128 ? (int)rl.rlim_cur - 64 : 64;
	udp_listen_fd = bind_host(SOCK_DGRAM, host);
	static int listen_tag;
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &listen_tag};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, udp_listen_fd, &e) < 0) fail_bind(errno);
	report_ready(udp_listen_fd);
	struct epoll_event evs[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(epfd, evs, MAX_EVENTS, nflows ? 1000 : -1);
		if (n < 0 && errno != EINTR) exit(1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_tag) {
				if (evs[i].events & EPOLLHUP) exit(0); /* the port is gone, as for TCP */
				udp_from_clients();
			} else
				udp_from_container(evs[i].data.ptr);
		}
		time_t now = now_s();
		while (oldest && now - oldest->last >= UDP_IDLE_SECONDS)
			flow_drop(oldest);
		reap_flows();
	}
}

/* ---- main ---- */

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

/* Bad arguments: usage (and what was wrong) on stderr, "err 22 …" on fd 3, exit 2. */
static void usage(const char *why, const char *what) __attribute__((noreturn));
static void usage(const char *why, const char *what)
{
	fprintf(stderr, "usage: berth-proxy -proto tcp|udp -host-ip IP -host-port N -container-ip IP -container-port N [-owner EXEC_ROOT]\n");
	if (why) fprintf(stderr, "berth-proxy: %s%s%s\n", why, what ? ": " : "", what ? what : "");
	report("err %d invalid arguments: %s%s%s\n", EINVAL, why ? why : "usage", what ? " " : "", what ? what : "");
	exit(2);
}

/* A port number, decimal, 0-65535 (0 only where allowed); -1 otherwise. */
static int parse_port(const char *v, int allow_zero)
{
	if (v[0] < '0' || v[0] > '9' || strlen(v) > 5) return -1;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end != '\0' || n > 65535 || (n == 0 && !allow_zero)) return -1;
	return (int)n;
}

int main(int argc, char **argv)
{
	const char *proto = "tcp", *host_ip = "", *container_ip = NULL;
	int host_port = -1, container_port = -1;
	/* fd 3 first, so that even bad arguments are reported there. */
	if (fcntl(ready_fd, F_GETFD) < 0) ready_fd = -1;
	else fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	/* Ignored before the first write that may hit a closed pipe or socket (fd 3, splice, sendto). */
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		if (i + 1 >= argc) usage("missing value", k);
		const char *v = argv[++i];
		/* docker-proxy's flags take one or two dashes; so do ours. */
		if (k[0] == '-' && k[1] == '-') k++;
		if (strcmp(k, "-proto") == 0) proto = v;
		else if (strcmp(k, "-host-ip") == 0) host_ip = v;
		else if (strcmp(k, "-owner") == 0) (void)v;
		else if (strcmp(k, "-host-port") == 0) {
			if ((host_port = parse_port(v, 1)) < 0) usage("bad -host-port", v);
		} else if (strcmp(k, "-container-ip") == 0) container_ip = v;
		else if (strcmp(k, "-container-port") == 0) {
			if ((container_port = parse_port(v, 0)) < 0) usage("bad -container-port", v);
		} else usage("unknown flag", argv[i - 1]);
	}
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) usage("bad -proto", proto);
	if (!container_ip) usage("missing -container-ip", NULL);
	if (host_port < 0) usage("missing -host-port", NULL);
	if (container_port < 0) usage("missing -container-port", NULL);
	struct addr host;
	if (parse_addr(host_ip, host_port, &host) < 0) usage("bad -host-ip", host_ip);
	if (parse_addr(container_ip, container_port, &target) < 0) usage("bad -container-ip", container_ip);

	/* No PR_SET_PDEATHSIG: the port outlives a daemon crash (berthd re-adopts this process). */
	struct sigaction sa = {.sa_handler = on_term};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) fail_bind(errno);
	if (strcmp(proto, "tcp") == 0) run_tcp(&host);
	else run_udp(&host);
	return 0;
}
