/*
 * berth-proxy: the userland proxy of one published port, as Docker's
 * docker-proxy. berthd starts one per host address/port/protocol:
 *
 *   berth-proxy -proto tcp|udp -host-ip IP -host-port N \
 *               -container-ip IP -container-port N
 *
 * It binds the host port itself and reports on fd 3 (a pipe from berthd),
 * one line, then closes it:
 *   "ok <port>\n"              bound (the chosen port when 0 was asked)
 *   "err <errno> <message>\n"  bind/listen failed
 * It dies with berthd (PR_SET_PDEATHSIG) and exits on SIGTERM.
 *
 * TCP: every accepted connection gets a connection to the container and two
 * pipes; bytes move socket → pipe → socket with splice(2), never through
 * user space. A half-close (EOF one way) is passed on with shutdown(SHUT_WR)
 * once that direction's pipe is drained, as docker-proxy's CloseWrite.
 * UDP: one connected socket to the container per client address, dropped
 * after 90 s without traffic (docker-proxy's UDPConnTrackTimeout).
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PIPE_BYTES (1 << 20)
#define UDP_IDLE_SECONDS 90
#define UDP_MAX_FLOWS 4096
#define MAX_EVENTS 256

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

static int ready_fd = 3;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (ready_fd >= 0 && n > 0) {
		ssize_t w = write(ready_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		(void)w;
		close(ready_fd);
	}
	ready_fd = -1;
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
	struct conn *next_dead;
	struct half up, down; /* client → upstream, upstream → client */
};

static struct addr target;
static struct conn *dead_conns;

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

static void reap_dead(void)
{
	while (dead_conns) {
		struct conn *c = dead_conns;
		dead_conns = c->next_dead;
		free(c);
	}
}


/* Moves what can move now; -1 when the connection is broken. */
static int pump(struct half *h)
{
	for (;;) {
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
	}
	if (h->eof && h->inpipe == 0 && !h->shut) {
		shutdown(h->dst, SHUT_WR);
		h->shut = 1;
	}
	return 0;
}

/*
 * Both fds are in the epoll set edge-triggered for reading and writing, so
 * every event pumps both ways until nothing moves; the set never changes.
 */
static void conn_step(struct conn *c)
{
	if (pump(&c->up) < 0 || pump(&c->down) < 0 || (c->up.shut && c->down.shut))
		conn_free(c);
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
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors or memory: back off instead of spinning on the still-readable listener. */
				struct timespec pause = {0, 50 * 1000 * 1000};
				nanosleep(&pause, NULL);
			}
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
			conn_free(c);
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

static void tcp_event(struct conn *c)
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
	}
	conn_step(c);
}

static void run_tcp(const struct addr *host)
{
	int lfd = bind_host(SOCK_STREAM, host);
	report("ok %d\n", bound_port(lfd));
	static int listen_tag;
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &listen_tag};
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &e);
	struct epoll_event evs[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(epfd, evs, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR) continue;
			exit(1);
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_tag)
				tcp_accept(lfd);
			else
				tcp_event(evs[i].data.ptr);
		}
		reap_dead();
	}
}

/* ---- UDP ---- */

struct flow {
	struct sockaddr_storage client;
	socklen_t client_len;
	int fd; /* connected to the container */
	time_t last;
	struct flow *next;
};

static struct flow *flows;
static int nflows;
static int udp_listen_fd = -1;
static unsigned char dgram[65536];

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void flow_drop(struct flow **link)
{
	struct flow *f = *link;
	*link = f->next;
	epoll_ctl(epfd, EPOLL_CTL_DEL, f->fd, NULL);
	close(f->fd);
	free(f);
	nflows--;
}

static struct flow *flow_for(const struct sockaddr_storage *from, socklen_t len)
{
	for (struct flow *f = flows; f; f = f->next)
		if (f->client_len == len && memcmp(&f->client, from, len) == 0)
			return f;
	if (nflows >= UDP_MAX_FLOWS)
		return NULL;
	struct flow *f = calloc(1, sizeof(*f));
	if (!f) return NULL;
	f->fd = socket(target.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&target.ss, target.len) < 0) {
		if (f->fd >= 0) close(f->fd);
		free(f);
		return NULL;
	}
	memcpy(&f->client, from, len);
	f->client_len = len;
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = f};
	epoll_ctl(epfd, EPOLL_CTL_ADD, f->fd, &e);
	f->next = flows;
	flows = f;
	nflows++;
	return f;
}

static void udp_from_clients(void)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(udp_listen_fd, dgram, sizeof(dgram), 0, (struct sockaddr *)&from, &len);
		if (n < 0) {
			if (errno == EINTR) continue;
			return;
		}
		struct flow *f = flow_for(&from, len);
		if (!f) continue;
		f->last = now_s();
		ssize_t w = send(f->fd, dgram, (size_t)n, 0);
		(void)w; /* a datagram the container does not take is lost, as on the wire */
	}
}

static void udp_from_container(struct flow *f)
{
	for (;;) {
		ssize_t n = recv(f->fd, dgram, sizeof(dgram), 0);
		if (n < 0) {
			if (errno == EINTR) continue;
			return; /* EAGAIN; ECONNREFUSED (nothing listens yet) is not fatal for the flow */
		}
		f->last = now_s();
		ssize_t w = sendto(udp_listen_fd, dgram, (size_t)n, 0, (struct sockaddr *)&f->client, f->client_len);
		(void)w;
	}
}

static void run_udp(const struct addr *host)
{
	udp_listen_fd = bind_host(SOCK_DGRAM, host);
	report("ok %d\n", bound_port(udp_listen_fd));
	static int listen_tag;
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &listen_tag};
	epoll_ctl(epfd, EPOLL_CTL_ADD, udp_listen_fd, &e);
	struct epoll_event evs[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(epfd, evs, MAX_EVENTS, flows ? 1000 : -1);
		if (n < 0 && errno != EINTR) exit(1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_tag)
				udp_from_clients();
			else
				udp_from_container(evs[i].data.ptr);
		}
		time_t now = now_s();
		for (struct flow **link = &flows; *link;) {
			if (now - (*link)->last >= UDP_IDLE_SECONDS)
				flow_drop(link);
			else
				link = &(*link)->next;
		}
	}
}

/* ---- main ---- */

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: berth-proxy -proto tcp|udp -host-ip IP -host-port N -container-ip IP -container-port N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *proto = "tcp", *host_ip = "", *container_ip = NULL;
	int host_port = -1, container_port = -1;
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i];
		if (i + 1 >= argc) usage();
		const char *v = argv[++i];
		/* docker-proxy's flags take one or two dashes; so do ours. */
		if (k[0] == '-' && k[1] == '-') k++;
		if (strcmp(k, "-proto") == 0) proto = v;
		else if (strcmp(k, "-host-ip") == 0) host_ip = v;
		else if (strcmp(k, "-host-port") == 0) host_port = atoi(v);
		else if (strcmp(k, "-container-ip") == 0) container_ip = v;
		else if (strcmp(k, "-container-port") == 0) container_port = atoi(v);
		else usage();
	}
	if (fcntl(ready_fd, F_GETFD) < 0) ready_fd = -1;
	else fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	if (!container_ip || host_port < 0 || container_port < 0 || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
		usage();

	/* Dies with berthd; a parent gone before prctl took effect (reparented) means exit now. */
	pid_t parent = getppid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) return 0;
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct addr host;
	if (parse_addr(host_ip, host_port, &host) < 0 || parse_addr(container_ip, container_port, &target) < 0) {
		report("err %d invalid address\n", EINVAL);
		return 2;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) fail_bind(errno);
	if (strcmp(proto, "tcp") == 0) run_tcp(&host);
	else run_udp(&host);
	return 0;
}
