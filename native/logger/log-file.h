/* berth-logger: the log file, dockerd's rotation and gzip of rotated files. Included once, by berth-logger.c. */
#ifndef BERTH_LOGGER_LOG_FILE_H
#define BERTH_LOGGER_LOG_FILE_H

/* Options. */
static const char *log_path;
static long long max_size = -1;
static int max_file = 1;
static int opt_compress;
static const char *attrs;
static long long nb_limit; /* mode=non-blocking: bytes the queue may hold; 0: blocking */

/* State of the current file. */
static int log_fd = -1;
static long long cur_size;
static char last_time[64]; /* RFC3339Nano of the last record written to the current file */
static pid_t compress_child = -1;
static struct buf out;

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



#endif
