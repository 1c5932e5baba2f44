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

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		perror("berth-logger: realloc");
		exit(1);
	}
	b->p = p;
	b->cap = cap;
}

static void buf_add(struct buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_addc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = c;
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_consume(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

/* Options. */
static const char *log_path;
static long long max_size = -1;
static int max_file = 1;
static int opt_compress;
static const char *attrs;
static long long nb_limit; /* mode=non-blocking: bytes the queue may hold; 0: blocking */
/* SIGUSR1 (berthd, when it kills the container): stop waiting for remote receivers, drop what they do not take. */
static volatile sig_atomic_t remote_off;
static void on_usr1(int sig)
{
	(void)sig;
	remote_off = 1;
}

/* State of the current file. */
static int log_fd = -1;
static long long cur_size;
static char last_time[64]; /* RFC3339Nano of the last record written to the current file */
static pid_t compress_child = -1;
static struct buf out;

struct stream_state {
	struct buf pending;   /* bytes of an unfinished line */
	int has_partial;      /* a 16 KiB piece of this line was already written */
	char partial_time[64];
	char chunk_time[64];  /* time of the latest piece in pending */
	int fl_ordinal;       /* fluentd: pieces of the current line sent so far */
	char fl_partial_id[65];
};
static struct stream_state streams[2]; /* stdout, stderr */

static void die(const char *what)
{
	fprintf(stderr, "berth-logger: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write log");
		}
		p += w;
		n -= (size_t)w;
	}
}

static void flush_out(void)
{
	if (out.len == 0)
		return;
	write_all(log_fd, out.p, out.len);
	out.len = 0;
}

static void open_log(int trunc)
{
	log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0640);
	if (log_fd < 0)
		die("open log");
	struct stat st;
	cur_size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
}

static void wait_compress(void)
{
	if (compress_child <= 0)
		return;
	while (waitpid(compress_child, NULL, 0) < 0 && errno == EINTR)
		;
	compress_child = -1;
}

/* gzip src to dst (via dst.tmp), the header's extra field {"lastTime":...}, then remove src. */
static int gzip_file(const char *src, const char *dst, const char *last)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", dst);
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int outfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (outfd < 0) {
		close(in);
		return -1;
	}
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	char extra[128];
	int extra_len = snprintf(extra, sizeof extra, "{\"lastTime\":\"%s\"}", last);
	gz_header h;
	memset(&h, 0, sizeof h);
	h.os = 255; /* Go's gzip writer: OS unknown */
	h.extra = (Bytef *)extra;
	h.extra_len = (uInt)extra_len;
	deflateSetHeader(&z, &h);
	static unsigned char ibuf[65536], obuf[65536];
	int flush = Z_NO_FLUSH, rc = 0;
	do {
		ssize_t n = read(in, ibuf, sizeof ibuf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = ibuf;
		z.avail_in = (uInt)n;
		do {
			z.next_out = obuf;
			z.avail_out = sizeof obuf;
			deflate(&z, flush);
			size_t have = sizeof obuf - z.avail_out;
			const char *p = (const char *)obuf;
			while (have > 0) {
				ssize_t w = write(outfd, p, have);
				if (w < 0) {
					if (errno == EINTR)
						continue;
					rc = -1;
					break;
				}
				p += w;
				have -= (size_t)w;
			}
		} while (z.avail_out == 0 && rc == 0);
	} while (flush != Z_FINISH && rc == 0);
	deflateEnd(&z);
	close(in);
	if (close(outfd) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp, dst) == 0) {
		unlink(src);
		return 0;
	}
	unlink(tmp);
	return -1;
}

static void rotated_name(char *dst, size_t cap, int n, int gz)
{
	snprintf(dst, cap, "%s.%d%s", log_path, n, gz ? ".gz" : "");
}

/* dockerd loggerutils.LogFile.checkCapacityAndRotate + rotate. */
static void rotate(void)
{
	flush_out();
	close(log_fd);
	log_fd = -1;
	if (max_file < 2) {
		open_log(1);
		return;
	}
	wait_compress();
	char from[4096], to[4096];
	rotated_name(to, sizeof to, max_file - 1, opt_compress);
	unlink(to);
	for (int i = max_file - 1; i > 1; i--) {
		rotated_name(to, sizeof to, i, opt_compress);
		rotated_name(from, sizeof from, i - 1, opt_compress);
		rename(from, to);
	}
	rotated_name(to, sizeof to, 1, 0);
	if (rename(log_path, to) < 0 && errno != ENOENT)
		fprintf(stderr, "berth-logger: rotate: %s\n", strerror(errno));
	open_log(1);
	if (opt_compress) {
		char gz[4096];
		rotated_name(gz, sizeof gz, 1, 1);
		char last[64];
		memcpy(last, last_time, sizeof last);
		if (nb_limit) {
			/* non-blocking mode runs two threads: no fork (malloc locks); the writer thread compresses, the queue absorbs */
			gzip_file(to, gz, last);
			return;
		}
		pid_t pid = fork();
		if (pid == 0) {
			_exit(gzip_file(to, gz, last) == 0 ? 0 : 1);
		}
		compress_child = pid; /* on fork failure (-1) .1 just stays uncompressed */
	}
}

static const char hexd[] = "0123456789abcdef";

/* Go utf8.DecodeRune's validity: returns the sequence length, 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char b = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xBF;
	if (b >= 0xC2 && b <= 0xDF)
		need = 1;
	else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		if (b == 0xE0)
			lo = 0xA0;
		if (b == 0xED)
			hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		if (b == 0xF0)
			lo = 0x90;
		if (b == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < need + 1)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need + 1;
}

/* dockerd jsonlog ffjsonWriteJSONBytesAsString, without the quotes; go_std: Go encoding/json's variant (tab as \t). */
static void json_string_body_x(struct buf *b, const unsigned char *s, size_t n, int go_std)
{
	size_t start = 0, i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if (c >= 0x20 && c != '\\' && c != '"' && c != '<' && c != '>' && c != '&') {
				i++;
				continue;
			}
			buf_add(b, s + start, i - start);
			switch (c) {
			case '\\':
			case '"':
				buf_addc(b, '\\');
				buf_addc(b, (char)c);
				break;
			case '\n':
				buf_adds(b, "\\n");
				break;
			case '\r':
				buf_adds(b, "\\r");
				break;
			case '\t':
				if (go_std) {
					buf_adds(b, "\\t");
					break;
				}
				/* fall through */
			default:
				buf_adds(b, "\\u00");
				buf_addc(b, hexd[c >> 4]);
				buf_addc(b, hexd[c & 0xF]);
			}
			start = ++i;
			continue;
		}
		size_t len = utf8_len(s + i, n - i);
		if (len == 0) {
			buf_add(b, s + start, i - start);
			buf_adds(b, "\\ufffd");
			start = ++i;
			continue;
		}
		if (len == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
			buf_add(b, s + start, i - start);
			buf_adds(b, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
			i += 3;
			start = i;
			continue;
		}
		i += len;
	}
	buf_add(b, s + start, n - start);
}


/*
 * syslog (dockerd's syslog driver, -syslog): each record is also sent as one
 * message, formatted as dockerd 20.10 does with srslog: default
 * `<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG`, rfc3164 with the hostname after the
 * time, rfc5424 `<PRI>1 TIME HOST TAG PID TAG - MSG` (rfc5424micro: 6
 * fractional digits), each ending in "\n" (also the frame on stream
 * sockets). PRI = facility*8 + 6 (info) for stdout, + 3 (err) for stderr.
 * Sends block (dockerd's blocking mode; only this container waits); a
 * failed send reconnects once and otherwise drops that message, as srslog.
 */
static const char *sl_addr;   /* "udp:HOST:PORT", "tcp:HOST:PORT", "unix:PATH", "unixgram:PATH", "" = local syslog */
static const char *sl_format = "";
static int sl_facility = 3;   /* daemon */
static const char *sl_tag = "";
static const char *sl_host = "";
static int sl_fd = -1;
static int sl_stream;         /* SOCK_STREAM: a failed send means reconnect */
static const char *sl_ca, *sl_cert, *sl_key;
static int sl_skip_verify;
static SSL_CTX *sl_ctx;
static SSL *sl_ssl;           /* tcp+tls (address "tls:HOST:PORT") */

/* TLS over the connected sl_fd, verified as Go's crypto/tls client (CA file or system roots, the address's host). */
static int sl_tls(const char *host, char *err, size_t cap)
{
	if (!sl_ctx) {
		sl_ctx = SSL_CTX_new(TLS_client_method());
		if (!sl_ctx)
			return -1;
		SSL_CTX_set_min_proto_version(sl_ctx, TLS1_2_VERSION);
		if (sl_ca ? SSL_CTX_load_verify_locations(sl_ctx, sl_ca, NULL) != 1 : SSL_CTX_set_default_verify_paths(sl_ctx) != 1) {
			snprintf(err, cap, "could not read CA certificate \"%s\"", sl_ca ? sl_ca : "");
			return -1;
		}
		if (sl_cert && sl_key && (SSL_CTX_use_certificate_chain_file(sl_ctx, sl_cert) != 1 || SSL_CTX_use_PrivateKey_file(sl_ctx, sl_key, SSL_FILETYPE_PEM) != 1)) {
			snprintf(err, cap, "tls: failed to load the client certificate %s", sl_cert);
			return -1;
		}
		SSL_CTX_set_verify(sl_ctx, sl_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	}
	sl_ssl = SSL_new(sl_ctx);
	SSL_set_fd(sl_ssl, sl_fd);
	struct in6_addr a6;
	struct in_addr a4;
	int is_ip = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
	if (!is_ip)
		SSL_set_tlsext_host_name(sl_ssl, host);
	if (!sl_skip_verify) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(sl_ssl);
		if (is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(vp, host);
		else
			X509_VERIFY_PARAM_set1_host(vp, host, 0);
	}
	if (SSL_connect(sl_ssl) != 1) {
		long v = SSL_get_verify_result(sl_ssl);
		if (v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    v == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)
			snprintf(err, cap, "x509: certificate signed by unknown authority");
		else if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
			snprintf(err, cap, "x509: certificate is not valid for %s", host);
		else if (v != X509_V_OK)
			snprintf(err, cap, "x509: %s", X509_verify_cert_error_string(v));
		else
			snprintf(err, cap, "tls: handshake failed: %s", ERR_reason_error_string(ERR_get_error()) ? ERR_reason_error_string(ERR_get_error()) : "EOF");
		SSL_free(sl_ssl);
		sl_ssl = NULL;
		return -1;
	}
	return 0;
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

/* Connects; on failure leaves a Go-style "dial tcp ADDR: connect: connection refused" in err. */
static int sl_connect(char *err, size_t cap)
{
	if (sl_ssl) {
		SSL_free(sl_ssl);
		sl_ssl = NULL;
	}
	if (sl_fd >= 0) {
		close(sl_fd);
		sl_fd = -1;
	}
	if (!*sl_addr) {
		/* Go log/syslog unixSyslog(): the local daemon's socket */
		static const char *paths[] = {"/dev/log", "/var/run/syslog", "/var/run/log"};
		for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
			for (int t = 0; t < 2; t++) {
				int type = t == 0 ? SOCK_DGRAM : SOCK_STREAM;
				int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
				struct sockaddr_un un = {.sun_family = AF_UNIX};
				snprintf(un.sun_path, sizeof un.sun_path, "%s", paths[i]);
				if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof un) == 0) {
					sl_fd = fd;
					sl_stream = type == SOCK_STREAM;
					return 0;
				}
				if (fd >= 0)
					close(fd);
			}
		}
		snprintf(err, cap, "Unix syslog delivery error");
		return -1;
	}
	const char *colon = strchr(sl_addr, ':');
	if (!colon)
		return -1;
	size_t plen = (size_t)(colon - sl_addr);
	const char *rest = colon + 1;
	if ((plen == 4 && !strncmp(sl_addr, "unix", 4)) || (plen == 8 && !strncmp(sl_addr, "unixgram", 8))) {
		int type = plen == 4 ? SOCK_STREAM : SOCK_DGRAM;
		int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		snprintf(un.sun_path, sizeof un.sun_path, "%s", rest);
		if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof un) < 0) {
			char e[128];
			snprintf(e, sizeof e, "%s", strerror(errno));
			lower_first(e);
			snprintf(err, cap, "dial %.*s %s: connect: %s", (int)plen, sl_addr, rest, e);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		sl_fd = fd;
		sl_stream = type == SOCK_STREAM;
		return 0;
	}
	int tls = plen == 3 && !strncmp(sl_addr, "tls", 3);
	int tcp = tls || (plen == 3 && !strncmp(sl_addr, "tcp", 3));
	/* HOST:PORT, HOST possibly [v6] */
	char host[256], port[16];
	const char *pc = strrchr(rest, ':');
	if (!pc)
		return -1;
	size_t hl = (size_t)(pc - rest);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, rest, hl);
	host[hl] = 0;
	snprintf(port, sizeof port, "%s", pc + 1);
	char *h = host;
	if (h[0] == '[') {
		h++;
		char *e = strchr(h, ']');
		if (e)
			*e = 0;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM}, *ai = NULL;
	int gr = getaddrinfo(h, port, &hints, &ai);
	if (gr != 0) {
		snprintf(err, cap, "dial %s %s: lookup %s: %s", tcp ? "tcp" : "udp", rest, h, gai_strerror(gr));
		return -1;
	}
	int fd = -1, saved = 0;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect_timeout(fd, a->ai_addr, a->ai_addrlen, 5000) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		char e[128];
		snprintf(e, sizeof e, "%s", strerror(saved));
		lower_first(e);
		snprintf(err, cap, "dial %s %s: connect: %s", tcp ? "tcp" : "udp", rest, e);
		return -1;
	}
	sl_fd = fd;
	sl_stream = tcp;
	if (tls && sl_tls(h, err, cap) < 0) {
		close(sl_fd);
		sl_fd = -1;
		return -1;
	}
	return 0;
}

static struct buf sl_msg;

static void sl_send(int stream, const char *data, size_t n)
{
	if (remote_off)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	int pri = sl_facility * 8 + (stream == 0 ? 6 : 3);
	char head[512], t[64];
	if (!strncmp(sl_format, "rfc5424", 7)) {
		size_t l = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
		if (!strcmp(sl_format, "rfc5424micro"))
			l += (size_t)snprintf(t + l, sizeof t - l, ".%06ld", ts.tv_nsec / 1000);
		long off = tm.tm_gmtoff;
		if (off == 0)
			snprintf(t + l, sizeof t - l, "Z");
		else
			snprintf(t + l, sizeof t - l, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600, (labs(off) % 3600) / 60);
		snprintf(head, sizeof head, "<%d>1 %s %s %s %d %s - ", pri, t, sl_host, sl_tag, (int)getpid(), sl_tag);
	} else {
		strftime(t, sizeof t, "%b %e %H:%M:%S", &tm); /* Go time.Stamp: "Jan _2 15:04:05" */
		if (!strcmp(sl_format, "rfc3164"))
			snprintf(head, sizeof head, "<%d>%s %s %s[%d]: ", pri, t, sl_host, sl_tag, (int)getpid());
		else
			snprintf(head, sizeof head, "<%d>%s %s[%d]: ", pri, t, sl_tag, (int)getpid());
	}
	sl_msg.len = 0;
	/* dockerd: tcp+tls with rfc5424 frames as RFC 5425 ("LEN " before the message, its "\n" counted) */
	if (!strncmp(sl_addr, "tls:", 4) && !strncmp(sl_format, "rfc5424", 7)) {
		char len[32];
		snprintf(len, sizeof len, "%zu ", strlen(head) + n + 1);
		buf_adds(&sl_msg, len);
	}
	buf_adds(&sl_msg, head);
	buf_add(&sl_msg, data, n);
	buf_addc(&sl_msg, '\n');
	for (int attempt = 0; attempt < 2; attempt++) {
		if (sl_fd < 0) {
			char err[256];
			if (sl_connect(err, sizeof err) < 0)
				return; /* dropped, as srslog when the reconnect fails */
		}
		const char *p = sl_msg.p;
		size_t left = sl_msg.len;
		int ok = 1;
		while (left > 0) {
			ssize_t w = sl_ssl ? SSL_write(sl_ssl, p, (int)left) : send(sl_fd, p, left, MSG_NOSIGNAL);
			if (remote_off)
				return;
			if (sl_ssl && w <= 0) {
				ok = 0;
				break;
			}
			if (w < 0) {
				if (errno == EINTR)
					continue;
				ok = 0;
				break;
			}
			if (!sl_stream)
				break; /* a datagram goes whole or not at all */
			p += w;
			left -= (size_t)w;
		}
		if (ok)
			return;
		close(sl_fd);
		sl_fd = -1;
	}
}

static void json_string_body(struct buf *b, const unsigned char *s, size_t n)
{
	json_string_body_x(b, s, n, 0);
}

/*
 * GELF (dockerd's gelf driver, -gelf): one message per record, as go-gelf
 * marshals it: {"version":"1.1","host":…,"short_message":…,"timestamp":<unix
 * seconds, ms precision>,"level":6|3,<extra fields, sorted>}. UDP: gzip
 * (default), zlib or none, chunked at 1420 bytes (0x1e 0x0f, 8-byte id,
 * seq, count); TCP: uncompressed, "\0"-terminated, reconnecting up to
 * -gelf-tcp-max-reconnect times -gelf-tcp-reconnect-delay seconds apart.
 */
static const char *gf_addr; /* "udp:HOST:PORT" | "tcp:HOST:PORT" */
static const char *gf_compress = "gzip";
static int gf_level = 1;
static const char *gf_host = "";
static const char *gf_extra = "";
static int gf_max_reconnect = 3, gf_reconnect_delay = 1;
static int gf_fd = -1, gf_tcp;
static struct buf gf_msg, gf_z;

static int gf_connect(char *err, size_t cap)
{
	if (gf_fd >= 0) {
		close(gf_fd);
		gf_fd = -1;
	}
	gf_tcp = !strncmp(gf_addr, "tcp:", 4);
	const char *rest = gf_addr + 4;
	char host[256], port[16];
	const char *pc = strrchr(rest, ':');
	if (!pc)
		return -1;
	size_t hl = (size_t)(pc - rest);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, rest, hl);
	host[hl] = 0;
	snprintf(port, sizeof port, "%s", pc + 1);
	char *h = host;
	if (h[0] == '[') {
		h++;
		char *e = strchr(h, ']');
		if (e)
			*e = 0;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = gf_tcp ? SOCK_STREAM : SOCK_DGRAM}, *ai = NULL;
	int gr = getaddrinfo(h, port, &hints, &ai);
	if (gr != 0) {
		snprintf(err, cap, "gelf: cannot connect to GELF endpoint: %s dial %s: lookup %s: %s", rest, gf_tcp ? "tcp" : "udp", h, gai_strerror(gr));
		return -1;
	}
	int fd = -1, saved = 0;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect_timeout(fd, a->ai_addr, a->ai_addrlen, 5000) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		char e[128];
		snprintf(e, sizeof e, "%s", strerror(saved));
		lower_first(e);
		snprintf(err, cap, "gelf: cannot connect to GELF endpoint: %s dial %s %s: connect: %s", rest, gf_tcp ? "tcp" : "udp", rest, e);
		return -1;
	}
	gf_fd = fd;
	return 0;
}

/* RFC3339Nano UTC as written in records → unix milliseconds. */
static long long time_ms(const char *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	long long ms = (long long)timegm(&tm) * 1000;
	if (rest && *rest == '.') {
		int d = 0, frac = 0;
		for (rest++; *rest >= '0' && *rest <= '9' && d < 3; rest++, d++)
			frac = frac * 10 + (*rest - '0');
		while (d++ < 3)
			frac *= 10;
		ms += frac;
	}
	return ms;
}

static int gf_compress_into(struct buf *dst, const char *src, size_t n, int gzip)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, gf_level, Z_DEFLATED, gzip ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	dst->len = 0;
	buf_reserve(dst, deflateBound(&z, (uLong)n) + 32);
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)dst->p;
	z.avail_out = (uInt)dst->cap;
	int r = deflate(&z, Z_FINISH);
	dst->len = dst->cap - z.avail_out;
	deflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -1;
}

static void gf_send(int stream, const char *data, size_t n, const char *time)
{
	if (remote_off)
		return;
	long long ms = time_ms(time);
	char ts[64];
	if (ms % 1000 == 0)
		snprintf(ts, sizeof ts, "%lld", ms / 1000);
	else {
		snprintf(ts, sizeof ts, "%lld.%03lld", ms / 1000, ms % 1000);
		size_t l = strlen(ts);
		while (ts[l - 1] == '0')
			ts[--l] = 0;
	}
	gf_msg.len = 0;
	buf_adds(&gf_msg, "{\"version\":\"1.1\",\"host\":\"");
	json_string_body_x(&gf_msg, (const unsigned char *)gf_host, strlen(gf_host), 1);
	buf_adds(&gf_msg, "\",\"short_message\":\"");
	json_string_body_x(&gf_msg, (const unsigned char *)data, n, 1);
	buf_adds(&gf_msg, "\",\"timestamp\":");
	buf_adds(&gf_msg, ts);
	buf_adds(&gf_msg, stream == 0 ? ",\"level\":6" : ",\"level\":3");
	if (*gf_extra) {
		buf_addc(&gf_msg, ',');
		buf_adds(&gf_msg, gf_extra);
	}
	buf_addc(&gf_msg, '}');
	if (gf_tcp) {
		buf_addc(&gf_msg, '\0');
		for (int attempt = 0; attempt <= gf_max_reconnect && !remote_off; attempt++) {
			if (gf_fd < 0) {
				char err[256];
				if (attempt > 0)
					sleep((unsigned)gf_reconnect_delay);
				if (gf_connect(err, sizeof err) < 0)
					continue;
			}
			const char *p = gf_msg.p;
			size_t left = gf_msg.len;
			while (left > 0) {
				ssize_t w = send(gf_fd, p, left, MSG_NOSIGNAL);
				if (remote_off)
					return;
				if (w < 0) {
					if (errno == EINTR)
						continue;
					break;
				}
				p += w;
				left -= (size_t)w;
			}
			if (left == 0)
				return;
			close(gf_fd);
			gf_fd = -1;
		}
		return; /* dropped */
	}
	const char *payload = gf_msg.p;
	size_t plen = gf_msg.len;
	if (strcmp(gf_compress, "none") != 0) {
		if (gf_compress_into(&gf_z, gf_msg.p, gf_msg.len, strcmp(gf_compress, "zlib") != 0) < 0)
			return;
		payload = gf_z.p;
		plen = gf_z.len;
	}
	if (gf_fd < 0) {
		char err[256];
		if (gf_connect(err, sizeof err) < 0)
			return;
	}
	const size_t chunk_data = 1420 - 12;
	if (plen <= 1420) {
		send(gf_fd, payload, plen, MSG_NOSIGNAL);
		return;
	}
	size_t count = (plen + chunk_data - 1) / chunk_data;
	if (count > 128)
		return; /* go-gelf: "msg too large, would need N chunks" */
	unsigned char id[8];
	for (int i = 0; i < 8; i++)
		id[i] = (unsigned char)(random() & 0xff);
	unsigned char pkt[1420];
	for (size_t i = 0; i < count; i++) {
		size_t off = i * chunk_data, len = plen - off < chunk_data ? plen - off : chunk_data;
		pkt[0] = 0x1e;
		pkt[1] = 0x0f;
		memcpy(pkt + 2, id, 8);
		pkt[10] = (unsigned char)i;
		pkt[11] = (unsigned char)count;
		memcpy(pkt + 12, payload + off, len);
		send(gf_fd, pkt, len + 12, MSG_NOSIGNAL);
	}
}


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
			snprintf(e, sizeof e, "%s", strerror(errno));
			lower_first(e);
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
	const char *pc = strrchr(rest, ':');
	if (!pc)
		return -1;
	size_t hl = (size_t)(pc - rest);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, rest, hl);
	host[hl] = 0;
	snprintf(port, sizeof port, "%s", pc + 1);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	int gr = getaddrinfo(host, port, &hints, &ai);
	if (gr != 0) {
		snprintf(err, cap, "dial tcp: lookup %s: %s", host, gai_strerror(gr));
		return -1;
	}
	int fd = -1, saved = 0;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect_timeout(fd, a->ai_addr, a->ai_addrlen, 3000) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		char e[128];
		snprintf(e, sizeof e, "%s", strerror(saved));
		lower_first(e);
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

/* conmon's `2026-11-29T08:14:25.032680022+00:00` → Go's RFC3339Nano in UTC (`…25.032680022Z`, trailing zeros dropped). */
static int convert_time(const char *s, size_t n, char *dst, size_t cap)
{
	char tmp[64];
	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	char *rest = strptime(tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -1;
	long nsec = 0;
	if (*rest == '.') {
		int digits = 0;
		rest++;
		while (*rest >= '0' && *rest <= '9') {
			if (digits < 9) {
				nsec = nsec * 10 + (*rest - '0');
				digits++;
			}
			rest++;
		}
		while (digits++ < 9)
			nsec *= 10;
	}
	long off = 0;
	if (*rest == '+' || *rest == '-') {
		int hh = 0, mm = 0;
		if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2)
			return -1;
		off = (hh * 3600L + mm * 60L) * (*rest == '-' ? -1 : 1);
	} else if (*rest != 'Z')
		return -1;
	time_t t = timegm(&tm) - off;
	struct tm u;
	gmtime_r(&t, &u);
	size_t len = strftime(dst, cap, "%Y-%m-%dT%H:%M:%S", &u);
	if (nsec > 0) {
		char frac[32];
		snprintf(frac, sizeof frac, ".%09ld", nsec);
		size_t fl = strlen(frac);
		while (frac[fl - 1] == '0')
			frac[--fl] = 0;
		snprintf(dst + len, cap - len, "%sZ", frac);
	} else
		snprintf(dst + len, cap - len, "Z");
	return 0;
}

static void now_time(char *dst, size_t cap)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char tmp[64];
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t len = strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tmp + len, sizeof tmp - len, ".%09ld+00:00", ts.tv_nsec);
	convert_time(tmp, strlen(tmp), dst, cap);
}


/*
 * mode=non-blocking (-nonblock BYTES, dockerd's ring logger): the fifo is
 * read as fast as conmon writes and records wait in a queue of at most
 * BYTES of output for the writer thread; when the queue is full a record
 * is dropped instead of blocking the container (dockerd's messageRing).
 */
struct nb_item {
	struct nb_item *next;
	int stream, newline;
	char time[64];
	size_t n;
	char data[];
};
static struct nb_item *nb_head, *nb_tail;
static long long nb_bytes;
static int nb_done;
static pthread_mutex_t nb_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nb_cv = PTHREAD_COND_INITIALIZER;
static pthread_t nb_thread;

static void *nb_writer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&nb_mu);
		while (!nb_head && !nb_done)
			pthread_cond_wait(&nb_cv, &nb_mu);
		struct nb_item *it = nb_head;
		if (it) {
			nb_head = it->next;
			if (!nb_head)
				nb_tail = NULL;
			nb_bytes -= (long long)it->n;
		}
		int idle = nb_head == NULL;
		pthread_mutex_unlock(&nb_mu);
		if (!it)
			return NULL; /* done and drained */
		write_record(it->stream, it->data, it->n, it->newline, it->time);
		free(it);
		if (idle && log_path)
			flush_out();
	}
}

static void emit_record(int stream, const char *data, size_t n, int newline, const char *time)
{
	if (!nb_limit) {
		write_record(stream, data, n, newline, time);
		return;
	}
	pthread_mutex_lock(&nb_mu);
	if (nb_head && nb_bytes + (long long)n > nb_limit) {
		pthread_mutex_unlock(&nb_mu);
		return; /* full: dropped, as dockerd's ring */
	}
	struct nb_item *it = malloc(sizeof *it + n);
	if (!it) {
		pthread_mutex_unlock(&nb_mu);
		return;
	}
	it->next = NULL;
	it->stream = stream;
	it->newline = newline;
	snprintf(it->time, sizeof it->time, "%s", time);
	it->n = n;
	memcpy(it->data, data, n);
	if (nb_tail)
		nb_tail->next = it;
	else
		nb_head = it;
	nb_tail = it;
	nb_bytes += (long long)n;
	pthread_cond_signal(&nb_cv);
	pthread_mutex_unlock(&nb_mu);
}

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
