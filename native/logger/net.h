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


#endif
