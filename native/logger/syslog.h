/* berth-logger: dockerd's syslog driver. Included once, by berth-logger.c. */
#ifndef BERTH_LOGGER_SYSLOG_H
#define BERTH_LOGGER_SYSLOG_H

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
			go_strerror(errno, e, sizeof e);
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
	if (split_host_port(rest, host, sizeof host, port, sizeof port) < 0)
		return -1;
	int gr, saved;
	int fd = dial_host(host, port, tcp ? SOCK_STREAM : SOCK_DGRAM, 5000, &gr, &saved);
	if (gr != 0) {
		snprintf(err, cap, "dial %s %s: lookup %s: %s", tcp ? "tcp" : "udp", rest, host, gai_strerror(gr));
		return -1;
	}
	if (fd < 0) {
		char e[128];
		go_strerror(saved, e, sizeof e);
		snprintf(err, cap, "dial %s %s: connect: %s", tcp ? "tcp" : "udp", rest, e);
		return -1;
	}
	sl_fd = fd;
	sl_stream = tcp;
	if (tls && sl_tls(host, err, cap) < 0) {
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


#endif
