/* berth-logger: dockerd's gelf driver. Included once, by berth-logger.c. */
#ifndef BERTH_LOGGER_GELF_H
#define BERTH_LOGGER_GELF_H

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
	if (split_host_port(rest, host, sizeof host, port, sizeof port) < 0)
		return -1;
	int gr, saved;
	int fd = dial_host(host, port, gf_tcp ? SOCK_STREAM : SOCK_DGRAM, 5000, &gr, &saved);
	if (gr != 0) {
		snprintf(err, cap, "gelf: cannot connect to GELF endpoint: %s dial %s: lookup %s: %s", rest, gf_tcp ? "tcp" : "udp", host, gai_strerror(gr));
		return -1;
	}
	if (fd < 0) {
		char e[128];
		go_strerror(saved, e, sizeof e);
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



#endif
