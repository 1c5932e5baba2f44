/* berth-logger: dockerd's fluentd driver. Included once, by berth-logger.c. */
#ifndef BERTH_LOGGER_FLUENTD_H
#define BERTH_LOGGER_FLUENTD_H

/*
 * fluentd (dockerd's fluentd driver, -fluentd): each record as a forward
 * protocol message [tag, time, record, option] in msgpack, record =
 * {container_id, container_name, source, log, <labels/env>} and for a
 * 16 KiB piece partial_message/partial_id/partial_ordinal/partial_last, as
 * dockerd 20.10. time is an int, or EventTime (ext 0) with
 * -fluentd-subsecond. Sync mode connects at start (an unreachable receiver
 * fails the start) and on a failed send retries -fluentd-max-retries times,
 * waiting -fluentd-retry-wait ms doubling up to 60 s (blocking only this
 * container, dockerd's blocking mode); -fluentd-async connects lazily and
 * keeps up to -fluentd-buffer-limit bytes while the receiver is away,
 * dropping what does not fit. -fluentd-ack adds {"chunk":id} and waits
 * for the receiver's ack.
 */
static const char *fl_addr; /* "tcp:HOST:PORT" | "unix:PATH" */
static const char *fl_tag = "";
static int fl_async, fl_subsecond, fl_ack;
static long long fl_buffer_limit = 1024 * 1024;
static long long fl_retry_wait_ms = 1000;
static long long fl_max_retries = 2147483647LL;
static const char **fl_fields; /* "k=v" */
static int fl_nfields;
static int fl_fd = -1;
static struct buf fl_pending; /* async: encoded messages waiting for the receiver */

static void mp_str(struct buf *b, const char *s, size_t n)
{
	if (n < 32)
		buf_addc(b, (char)(0xa0 | n));
	else if (n < 256) {
		buf_addc(b, (char)0xd9);
		buf_addc(b, (char)n);
	} else if (n < 65536) {
		buf_addc(b, (char)0xda);
		buf_addc(b, (char)(n >> 8));
		buf_addc(b, (char)n);
	} else {
		buf_addc(b, (char)0xdb);
		for (int i = 3; i >= 0; i--)
			buf_addc(b, (char)(n >> (8 * i)));
	}
	buf_add(b, s, n);
}

static void mp_strz(struct buf *b, const char *s)
{
	mp_str(b, s, strlen(s));
}

static void mp_map(struct buf *b, unsigned n)
{
	if (n < 16)
		buf_addc(b, (char)(0x80 | n));
	else {
		buf_addc(b, (char)0xde);
		buf_addc(b, (char)(n >> 8));
		buf_addc(b, (char)n);
	}
}

static int fl_connect(char *err, size_t cap)
{
	if (fl_fd >= 0) {
		close(fl_fd);
		fl_fd = -1;
	}
	if (!strncmp(fl_addr, "unix:", 5)) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		snprintf(un.sun_path, sizeof un.sun_path, "%s", fl_addr + 5);
		if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof un) < 0) {
			char e[128];
			go_strerror(errno, e, sizeof e);
			snprintf(err, cap, "dial unix %s: connect: %s", fl_addr + 5, e);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		fl_fd = fd;
		return 0;
	}
	const char *rest = fl_addr + 4;
	char host[256], port[16];
	if (split_host_port(rest, host, sizeof host, port, sizeof port) < 0)
		return -1;
	int gr, saved;
	int fd = dial_host(host, port, SOCK_STREAM, 3000, &gr, &saved);
	if (gr != 0) {
		snprintf(err, cap, "dial tcp: lookup %s: %s", host, gai_strerror(gr));
		return -1;
	}
	if (fd < 0) {
		char e[128];
		go_strerror(saved, e, sizeof e);
		snprintf(err, cap, "dial tcp %s: connect: %s", rest, e);
		return -1;
	}
	fl_fd = fd;
	return 0;
}

/* Sends all of b; with ack, waits (10 s) for the receiver to echo the chunk id. */
static int fl_write(const char *p, size_t n, const char *chunk)
{
	while (n > 0) {
		ssize_t w = send(fl_fd, p, n, MSG_NOSIGNAL);
		if (remote_off)
			return -1;
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	if (!chunk)
		return 0;
	char resp[512];
	size_t got = 0;
	while (got < sizeof resp - 1) {
		struct pollfd pf = {.fd = fl_fd, .events = POLLIN};
		if (poll(&pf, 1, 10000) <= 0)
			return -1;
		ssize_t r = recv(fl_fd, resp + got, sizeof resp - 1 - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		resp[got] = 0;
		if (memmem(resp, got, chunk, strlen(chunk)))
			return 0;
	}
	return -1;
}

static unsigned long long fl_partial_counter;

static void fl_send(int stream, const char *data, size_t n, const char *time, int partial, int ordinal, int last, const char *partial_id)
{
	if (remote_off)
		return;
	struct buf m = {0};
	buf_addc(&m, (char)0x94);
	mp_strz(&m, fl_tag);
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *rest = strptime(time, "%Y-%m-%dT%H:%M:%S", &tm);
	long long sec = (long long)timegm(&tm);
	long nsec = 0;
	if (rest && *rest == '.') {
		int d = 0;
		for (rest++; *rest >= '0' && *rest <= '9'; rest++, d++)
			if (d < 9)
				nsec = nsec * 10 + (*rest - '0');
		for (; d < 9; d++)
			nsec *= 10;
	}
	if (fl_subsecond) {
		buf_addc(&m, (char)0xd7);
		buf_addc(&m, 0);
		for (int i = 3; i >= 0; i--)
			buf_addc(&m, (char)(sec >> (8 * i)));
		for (int i = 3; i >= 0; i--)
			buf_addc(&m, (char)(nsec >> (8 * i)));
	} else {
		buf_addc(&m, (char)0xd2);
		for (int i = 3; i >= 0; i--)
			buf_addc(&m, (char)(sec >> (8 * i)));
	}
	mp_map(&m, (unsigned)(2 + fl_nfields + (partial ? 4 : 0)));
	for (int i = 0; i < fl_nfields; i++) {
		const char *eq = strchr(fl_fields[i], '=');
		if (!eq)
			continue;
		mp_str(&m, fl_fields[i], (size_t)(eq - fl_fields[i]));
		mp_strz(&m, eq + 1);
	}
	mp_strz(&m, "source");
	mp_strz(&m, stream == 0 ? "stdout" : "stderr");
	mp_strz(&m, "log");
	mp_str(&m, data, n);
	if (partial) {
		char ord[16];
		snprintf(ord, sizeof ord, "%d", ordinal);
		mp_strz(&m, "partial_message");
		mp_strz(&m, "true");
		mp_strz(&m, "partial_id");
		mp_strz(&m, partial_id);
		mp_strz(&m, "partial_ordinal");
		mp_strz(&m, ord);
		mp_strz(&m, "partial_last");
		mp_strz(&m, last ? "true" : "false");
	}
	char chunk[40] = "";
	if (fl_ack) {
		snprintf(chunk, sizeof chunk, "%08lx%08llx", (unsigned long)random(), ++fl_partial_counter);
		mp_map(&m, 1);
		mp_strz(&m, "chunk");
		mp_strz(&m, chunk);
	} else
		mp_map(&m, 0);

	if (fl_async) {
		if (fl_pending.len + m.len <= (size_t)fl_buffer_limit)
			buf_add(&fl_pending, m.p, m.len);
		free(m.p);
		if (fl_fd < 0) {
			char err[256];
			if (fl_connect(err, sizeof err) < 0)
				return; /* kept for the next record */
		}
		if (fl_write(fl_pending.p, fl_pending.len, NULL) == 0)
			fl_pending.len = 0;
		else {
			close(fl_fd);
			fl_fd = -1;
		}
		return;
	}
	long long wait = fl_retry_wait_ms;
	for (long long attempt = 0;; attempt++) {
		if (fl_fd >= 0 && fl_write(m.p, m.len, fl_ack ? chunk : NULL) == 0)
			break;
		if (attempt >= fl_max_retries || remote_off)
			break; /* dropped */
		struct timespec ts = {.tv_sec = wait / 1000, .tv_nsec = (wait % 1000) * 1000000L};
		if (fl_fd >= 0)
			nanosleep(&ts, NULL);
		char err[256];
		fl_connect(err, sizeof err);
		wait = wait * 2 > 60000 ? 60000 : wait * 2;
	}
	free(m.p);
}


#endif
