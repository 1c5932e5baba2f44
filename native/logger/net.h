/* berth-logger: what the remote senders share. Included once, by berth-logger.c. */
#ifndef BERTH_LOGGER_NET_H
#define BERTH_LOGGER_NET_H

/* SIGUSR1 (berthd, when it kills the container): stop waiting for remote receivers, drop what they do not take. */
static volatile sig_atomic_t remote_off;
static void on_usr1(int sig)
{
	(void)sig;
	remote_off = 1;
}

static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	int r = connect(fd, sa, len);
	if (r < 0 && errno == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		r = poll(&p, 1, ms);
		if (r == 0) {
			errno = ETIMEDOUT;
			r = -1;
		} else if (r > 0) {
			int err = 0;
			socklen_t el = sizeof err;
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err) {
				errno = err;
				r = -1;
			} else
				r = 0;
		}
	}
	fcntl(fd, F_SETFL, fl);
	return r;
}

static void lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z')
		s[0] = (char)(s[0] - 'A' + 'a');
}

/* strerror(e) as Go prints it: first letter in lower case. */
static void go_strerror(int e, char *out, size_t cap)
{
	snprintf(out, cap, "%s", strerror(e));
	lower_first(out);
}

/* "HOST:PORT" (HOST possibly "[v6]", brackets dropped) into host and port; -1 when there is no port. */
static int split_host_port(const char *addr, char *host, size_t hostcap, char *port, size_t portcap)
{
	const char *pc = strrchr(addr, ':');
	if (!pc)
		return -1;
	size_t hl = (size_t)(pc - addr);
	if (hl >= hostcap)
		hl = hostcap - 1;
	memcpy(host, addr, hl);
	host[hl] = 0;
	snprintf(port, portcap, "%s", pc + 1);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		char *e = strchr(host, ']');
		if (e)
			*e = 0;
	}
	return 0;
}

/*
 * Resolves host/port and connects the first address that answers within ms.
 * Returns the fd, or -1 with *gai set (lookup failed) or *err (the last connect's errno; 0 if no socket could be made).
 */
static int dial_host(const char *host, const char *port, int socktype, int ms, int *gai, int *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype}, *ai = NULL;
	*err = 0;
	*gai = getaddrinfo(host, port, &hints, &ai);
	if (*gai != 0)
		return -1;
	int fd = -1;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect_timeout(fd, a->ai_addr, a->ai_addrlen, ms) == 0)
			break;
		*err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}


#endif
