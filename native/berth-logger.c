/*
 * berth-logger: the per-container log writer (src/logging/capture.ts).
 *
 *   berth-logger -fifo PATH -pidfile PATH [-log PATH [-max-size BYTES]
 *                [-max-file N] [-compress] [-attrs JSON]] [-syslog ADDR …]
 *
 * conmon writes the container's output as k8s-file records
 * (`TIME STREAM P|F TEXT\n`) into PATH (a fifo); this process turns them
 * into dockerd's json-file records in -log, rotating and compressing as
 * dockerd's loggerutils.LogFile does. It runs detached from berthd, so no
 * line is lost while berthd restarts or after it is killed; the fifo's
 * capacity is the only buffer, so a slow disk slows conmon and then the
 * container (dockerd's blocking mode).
 *
 * Startup: opens the fifo for reading (O_NONBLOCK, so it does not wait for
 * conmon), writes its pid to -pidfile, reports "ok\n" (or "err <text>\n",
 * exit 1) on fd 3 and closes it. It ends when conmon closes the fifo:
 * output still pending is written as a partial record (as dockerd at EOF),
 * a running compression is waited for, and -pidfile is removed last, so
 * "pidfile gone" means "the log is complete".
 *
 * Record format (dockerd 20.10 jsonlog.JSONLogs.MarshalJSONBuf):
 *   {"log":"...","stream":"stdout"[,"attrs":{...}],"time":"RFC3339Nano"}\n
 * Lines longer than 16 KiB are split into 16384-byte records without the
 * trailing newline, all carrying the first piece's time (dockerd's Copier).
 * Rotation: before a write, if the file holds >= max-size bytes it becomes
 * .1 (older ones shift, the one past max-file-1 is removed); with -compress
 * .1 is gzipped to .1.gz in a child process (gzip header extra field
 * {"lastTime":...} as dockerd), the next rotation waiting for it.
 *
 * Remote drivers (-syslog, -gelf, -fluentd; the logger/ headers) get every record
 * too, the file then being dual logging's local cache (or absent with
 * cache-disabled). -nonblock BYTES is mode=non-blocking (logger/ring.h).
 * SIGUSR1 (berthd, after SIGKILL) stops waiting for remote receivers.
 * Each part is a header in logger/, included once below.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define PARTIAL_MAX 16384
#define READ_CHUNK 65536

#include "logger/buf.h"
#include "logger/log-file.h"
#include "logger/json-record.h"
#include "logger/net.h"
#include "logger/syslog.h"
#include "logger/gelf.h"
#include "logger/fluentd.h"

struct stream_state {
	struct buf pending;   /* bytes of an unfinished line */
	int has_partial;      /* a 16 KiB piece of this line was already written */
	char partial_time[64];
	char chunk_time[64];  /* time of the latest piece in pending */
	int fl_ordinal;       /* fluentd: pieces of the current line sent so far */
	char fl_partial_id[65];
};
static struct stream_state streams[2]; /* stdout, stderr */

static void write_record(int stream, const char *data, size_t n, int newline, const char *time)
{
	if (sl_addr)
		sl_send(stream, data, n);
	if (gf_addr)
		gf_send(stream, data, n, time);
	if (fl_addr) {
		struct stream_state *st = &streams[stream];
		int partial = st->fl_ordinal > 0 || !newline;
		if (partial && st->fl_ordinal == 0) {
			static const char hx[] = "0123456789abcdef";
			for (int i = 0; i < 64; i++)
				st->fl_partial_id[i] = hx[random() & 15];
			st->fl_partial_id[64] = 0;
		}
		if (partial)
			st->fl_ordinal++;
		fl_send(stream, data, n, time, partial, st->fl_ordinal, partial && newline, st->fl_partial_id);
		if (newline)
			st->fl_ordinal = 0;
	}
	if (!log_path)
		return;
	if (max_size > 0 && cur_size >= max_size)
		rotate();
	size_t before = out.len;
	buf_adds(&out, "{\"log\":\"");
	json_string_body(&out, (const unsigned char *)data, n);
	buf_adds(&out, newline ? "\\n\"" : "\"");
	buf_adds(&out, stream == 0 ? ",\"stream\":\"stdout\"" : ",\"stream\":\"stderr\"");
	if (attrs && *attrs) {
		buf_adds(&out, ",\"attrs\":");
		buf_adds(&out, attrs);
	}
	buf_adds(&out, ",\"time\":\"");
	buf_adds(&out, time);
	buf_adds(&out, "\"}\n");
	cur_size += (long long)(out.len - before);
	snprintf(last_time, sizeof last_time, "%s", time);
	if (out.len >= READ_CHUNK)
		flush_out();
}

#include "logger/ring.h"

/* One piece of a stream's output; dockerd's Copier splitting. */
static void handle_chunk(int stream, const char *text, size_t n, int complete, const char *time)
{
	struct stream_state *st = &streams[stream];
	buf_add(&st->pending, text, n);
	snprintf(st->chunk_time, sizeof st->chunk_time, "%s", time);
	while (st->pending.len >= PARTIAL_MAX) {
		if (!st->has_partial) {
			st->has_partial = 1;
			snprintf(st->partial_time, sizeof st->partial_time, "%s", time);
		}
		emit_record(stream, st->pending.p, PARTIAL_MAX, 0, st->partial_time);
		buf_consume(&st->pending, PARTIAL_MAX);
	}
	if (complete) {
		emit_record(stream, st->pending.p, st->pending.len, 1, st->has_partial ? st->partial_time : time);
		st->pending.len = 0;
		st->has_partial = 0;
	}
}

/* `TIME STREAM TAG TEXT` without its "\n". Malformed lines are skipped. */
static void handle_line(const char *line, size_t n)
{
	const char *sp1 = memchr(line, ' ', n);
	if (!sp1)
		return;
	const char *p = sp1 + 1;
	size_t left = n - (size_t)(p - line);
	int stream;
	if (left >= 7 && memcmp(p, "stdout ", 7) == 0)
		stream = 0;
	else if (left >= 7 && memcmp(p, "stderr ", 7) == 0)
		stream = 1;
	else
		return;
	p += 7;
	left -= 7;
	if (left < 1 || (p[0] != 'P' && p[0] != 'F'))
		return;
	int complete = p[0] == 'F';
	const char *sp3 = memchr(p, ' ', left);
	const char *text = sp3 ? sp3 + 1 : line + n;
	char time[64];
	if (convert_time(line, (size_t)(sp1 - line), time, sizeof time) < 0)
		now_time(time, sizeof time);
	handle_chunk(stream, text, (size_t)(line + n - text), complete, time);
}

static void usage(void)
{
	fprintf(stderr, "usage: berth-logger -fifo PATH -pidfile PATH [-log PATH [-max-size BYTES] [-max-file N] [-compress] [-attrs JSON]] [-syslog ADDR [-syslog-format F] [-syslog-facility N] [-syslog-tag T] [-syslog-hostname H]]\n");
}

static void report(const char *msg)
{
	if (write(3, msg, strlen(msg)) < 0) {
		/* berthd gone before we started: nothing to serve */
	}
	close(3);
}

int main(int argc, char **argv)
{
	const char *fifo = NULL, *pidfile = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-compress")) {
			opt_compress = 1;
			continue;
		}
		if (!strcmp(a, "-syslog-skip-verify")) {
			sl_skip_verify = 1;
			continue;
		}
		if (!strcmp(a, "-fluentd-async") || !strcmp(a, "-fluentd-subsecond") || !strcmp(a, "-fluentd-ack")) {
			if (a[9] == 'a' && a[10] == 's')
				fl_async = 1;
			else if (a[9] == 's')
				fl_subsecond = 1;
			else
				fl_ack = 1;
			continue;
		}
		if (!v) {
			usage();
			report("err bad arguments\n");
			return 2;
		}
		if (!strcmp(a, "-fifo"))
			fifo = v;
		else if (!strcmp(a, "-log"))
			log_path = v;
		else if (!strcmp(a, "-pidfile"))
			pidfile = v;
		else if (!strcmp(a, "-max-size"))
			max_size = atoll(v);
		else if (!strcmp(a, "-max-file"))
			max_file = atoi(v);
		else if (!strcmp(a, "-attrs"))
			attrs = v;
		else if (!strcmp(a, "-syslog"))
			sl_addr = v;
		else if (!strcmp(a, "-syslog-format"))
			sl_format = v;
		else if (!strcmp(a, "-syslog-facility"))
			sl_facility = atoi(v);
		else if (!strcmp(a, "-syslog-tag"))
			sl_tag = v;
		else if (!strcmp(a, "-syslog-hostname"))
			sl_host = v;
		else if (!strcmp(a, "-syslog-ca"))
			sl_ca = v;
		else if (!strcmp(a, "-syslog-cert"))
			sl_cert = v;
		else if (!strcmp(a, "-syslog-key"))
			sl_key = v;
		else if (!strcmp(a, "-nonblock"))
			nb_limit = atoll(v);
		else if (!strcmp(a, "-fluentd"))
			fl_addr = v;
		else if (!strcmp(a, "-fluentd-tag"))
			fl_tag = v;
		else if (!strcmp(a, "-fluentd-field")) {
			fl_fields = realloc(fl_fields, sizeof *fl_fields * (size_t)(fl_nfields + 1));
			if (!fl_fields)
				return 1;
			fl_fields[fl_nfields++] = v;
		} else if (!strcmp(a, "-fluentd-buffer-limit"))
			fl_buffer_limit = atoll(v);
		else if (!strcmp(a, "-fluentd-retry-wait"))
			fl_retry_wait_ms = atoll(v);
		else if (!strcmp(a, "-fluentd-max-retries"))
			fl_max_retries = atoll(v);
		else if (!strcmp(a, "-gelf"))
			gf_addr = v;
		else if (!strcmp(a, "-gelf-compress"))
			gf_compress = v;
		else if (!strcmp(a, "-gelf-level"))
			gf_level = atoi(v);
		else if (!strcmp(a, "-gelf-host"))
			gf_host = v;
		else if (!strcmp(a, "-gelf-extra"))
			gf_extra = v;
		else if (!strcmp(a, "-gelf-tcp-max-reconnect"))
			gf_max_reconnect = atoi(v);
		else if (!strcmp(a, "-gelf-tcp-reconnect-delay"))
			gf_reconnect_delay = atoi(v);
		else {
			usage();
			report("err bad arguments\n");
			return 2;
		}
		i++;
	}
	if (!fifo || (!log_path && !sl_addr && !gf_addr && !fl_addr) || !pidfile) {
		usage();
		report("err bad arguments\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_usr1; /* no SA_RESTART: a blocked send returns */
		sigaction(SIGUSR1, &sa, NULL);
	}
	int in = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (in < 0) {
		char msg[512];
		snprintf(msg, sizeof msg, "err open %s: %s\n", fifo, strerror(errno));
		report(msg);
		return 1;
	}
	if (sl_addr) {
		char err[512], msg[600];
		if (sl_connect(err, sizeof err) < 0) {
			snprintf(msg, sizeof msg, "err init %s\n", err);
			report(msg);
			return 1;
		}
	}
	if (gf_addr) {
		char err[512], msg[600];
		srandom((unsigned)(getpid() ^ time(NULL)));
		if (gf_connect(err, sizeof err) < 0) {
			snprintf(msg, sizeof msg, "err init %s\n", err);
			report(msg);
			return 1;
		}
	}
	if (fl_addr) {
		char err[512], msg[600];
		srandom((unsigned)(getpid() ^ time(NULL)));
		if (!fl_async && fl_connect(err, sizeof err) < 0) {
			snprintf(msg, sizeof msg, "err init %s\n", err);
			report(msg);
			return 1;
		}
	}
	if (log_path)
		open_log(0);
	{
		char tmp[4096], pid[32];
		snprintf(tmp, sizeof tmp, "%s.tmp", pidfile);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, pid, (size_t)snprintf(pid, sizeof pid, "%d\n", getpid())) < 0 || close(fd) < 0 || rename(tmp, pidfile) < 0) {
			char msg[512];
			snprintf(msg, sizeof msg, "err pidfile %s: %s\n", pidfile, strerror(errno));
			report(msg);
			return 1;
		}
	}
	report("ok\n");
	/* stdio may be berthd's: from here on only the log file matters. */
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		if (devnull > 2)
			close(devnull);
	}

	if (nb_limit && pthread_create(&nb_thread, NULL, nb_writer, NULL) != 0)
		nb_limit = 0;
	if (nb_limit) {
		/* SIGUSR1 goes to the writer thread, the one that may be blocked on a receiver */
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	struct buf line = {0};
	static char chunk[READ_CHUNK];
	for (;;) {
		struct pollfd pfd = {.fd = in, .events = POLLIN};
		int r = poll(&pfd, 1, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		ssize_t n = read(in, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("read fifo");
		}
		if (n == 0)
			break; /* conmon closed its end: the container's output is over */
		buf_add(&line, chunk, (size_t)n);
		size_t start = 0;
		for (;;) {
			char *nl = memchr(line.p + start, '\n', line.len - start);
			if (!nl)
				break;
			handle_line(line.p + start, (size_t)(nl - (line.p + start)));
			start = (size_t)(nl - line.p) + 1;
		}
		buf_consume(&line, start);
		if (log_path && !nb_limit)
			flush_out();
	}
	if (line.len > 0)
		handle_line(line.p, line.len);
	/* dockerd at EOF: what is left of a line is logged as a partial record */
	for (int s = 0; s < 2; s++) {
		struct stream_state *st = &streams[s];
		if (st->pending.len > 0) {
			char time[64];
			if (st->has_partial)
				snprintf(time, sizeof time, "%s", st->partial_time);
			else
				snprintf(time, sizeof time, "%s", st->chunk_time);
			emit_record(s, st->pending.p, st->pending.len, 0, time);
		}
	}
	if (nb_limit) {
		pthread_mutex_lock(&nb_mu);
		nb_done = 1;
		pthread_cond_signal(&nb_cv);
		pthread_mutex_unlock(&nb_mu);
		/* A receiver that takes no more must not keep this process forever: what is still queued after 5 s is dropped. */
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 5;
		if (pthread_timedjoin_np(nb_thread, NULL, &dl) != 0) {
			unlink(pidfile);
			_exit(0);
		}
	}
	if (log_path) {
		flush_out();
		close(log_fd);
	}
	if (fl_async && fl_pending.len > 0) {
		char err[256];
		if (fl_fd >= 0 || fl_connect(err, sizeof err) == 0)
			fl_write(fl_pending.p, fl_pending.len, NULL);
	}
	wait_compress();
	unlink(pidfile);
	return 0;
}

