/*
 * berth-exec: runs one process inside a running container the way
 * `runc exec` does (namespaces of the container's init, its cgroups, the
 * process spec: rlimits, oom_score_adj, bounding/effective/permitted/
 * inheritable/ambient capabilities, user and groups, no_new_privs, the
 * seccomp filter), without runc's Go start-up and state round trips. It stays
 * the parent of that process, relays its stdio and reports its exit.
 *
 * fds: 0 stdin source (/dev/null when stdin is closed), 1 stdout sink,
 * 2 stderr sink (unused with a TTY), 3 control socket.
 * Control in: "<length>\n" then <length> bytes of NUL-terminated tokens (the
 * spec, see parse_spec; written by src/runtime/native-exec-spec.ts).
 * Control out, JSON lines: {"pid":N} once the process runs, or
 * {"error":"…","code":126|127} when it could not be started; then {"exit":N}.
 * With a TTY, "1 ROWS COLS\n" lines on the fifo <ctl> resize it (conmon's protocol).
 * The exit code is also written to <exitfile> (the record after a daemon restart).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL
/* struct clone_args of linux/sched.h (which clashes with glibc's sched.h) */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

#define MAX_LIST 4096
#define CTL_FD 3

struct rlim { int resource; rlim_t soft, hard; };

struct spec {
	pid_t pid;
	char *args[MAX_LIST]; int nargs;
	char *env[MAX_LIST]; int nenv;
	const char *cwd;
	uid_t uid; gid_t gid;
	gid_t groups[NGROUPS_MAX > MAX_LIST ? MAX_LIST : NGROUPS_MAX]; int ngroups;
	uint64_t bnd, eff, prm, inh, amb;
	int nnp;
	int has_oom; int oom;
	struct rlim rlimits[64]; int nrlimits;
	int tty; unsigned short rows, cols;
	const char *ctl;
	int open_stdin;
	const char *cgroups[64]; int ncgroups; /* cgroup v1 directories */
	const char *cgroup2;                    /* the unified (v2) directory */
	int in_cgroup2;                         /* clone3 put the child there already */
	const char *exitfile;
	/* seccomp: the spec tokens, compiled (or taken from the cache file) before the fork */
	char **sec_tokens; int sec_ntokens;
	const char *bpf_cache;
	struct sock_fprog prog;
	unsigned int sec_flags;
};

static struct spec S;

/* ---- errors reported from the child over a close-on-exec pipe ---- */
static int errpipe_w = -1;

static void child_fail(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void child_fail(int code, const char *fmt, ...) {
	char buf[2048];
	int n = snprintf(buf, sizeof buf, "%d\t", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	va_end(ap);
	if (errpipe_w >= 0) {
		ssize_t w = write(errpipe_w, buf, strlen(buf));
		(void)w;
	} else {
		/* in the helper itself (before the fork): straight to the control socket */
		char out[4200]; size_t o = 0;
		o += (size_t)snprintf(out, sizeof out, "{\"error\":\"");
		for (const char *s = buf + n; *s && o < sizeof out - 40; s++) {
			if (*s == '"' || *s == '\\') { out[o++] = '\\'; out[o++] = *s; }
			else if ((unsigned char)*s >= 0x20) out[o++] = *s;
		}
		o += (size_t)snprintf(out + o, sizeof out - o, "\",\"code\":%d}\n", code);
		ssize_t w = write(3, out, o);
		(void)w;
	}
	_exit(code);
}

/* Go's error texts are strerror in lower case ("no such file or directory"). */
static const char *goerr(int e) {
	static char buf[256];
	snprintf(buf, sizeof buf, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z') buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

static void die(const char *what) {
	dprintf(CTL_FD, "{\"error\":\"berth-exec: %s: %s\",\"code\":126}\n", what, strerror(errno));
	_exit(126);
}

/* ---- spec ---- */
static char *specbuf;
static char **tok; static int ntok, ti;

static const char *next_tok(void) {
	if (ti >= ntok) { errno = EINVAL; die("truncated spec"); }
	return tok[ti++];
}
static long long next_num(void) { return strtoll(next_tok(), NULL, 0); }
static uint64_t next_hex(void) { return strtoull(next_tok(), NULL, 16); }

static void read_spec(void) {
	char hdr[32]; size_t h = 0;
	while (h < sizeof hdr - 1) {
		ssize_t r = read(CTL_FD, hdr + h, 1);
		if (r <= 0) die("reading spec length");
		if (hdr[h] == '\n') break;
		h++;
	}
	hdr[h] = 0;
	size_t len = strtoull(hdr, NULL, 10);
	if (len == 0 || len > (64u << 20)) { errno = EINVAL; die("spec length"); }
	specbuf = malloc(len + 1);
	if (!specbuf) die("malloc");
	for (size_t got = 0; got < len;) {
		ssize_t r = read(CTL_FD, specbuf + got, len - got);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) die("reading spec");
		got += (size_t)r;
	}
	specbuf[len] = 0;
	size_t cap = 1024; tok = malloc(cap * sizeof *tok);
	for (size_t i = 0; i < len;) {
		if ((size_t)ntok == cap) { cap *= 2; tok = realloc(tok, cap * sizeof *tok); }
		if (!tok) die("malloc");
		tok[ntok++] = specbuf + i;
		i += strlen(specbuf + i) + 1;
	}
}

static void parse_spec(void) {
	S.has_oom = 0;
	while (ti < ntok) {
		const char *k = next_tok();
		if (!strcmp(k, "pid")) S.pid = (pid_t)next_num();
		else if (!strcmp(k, "arg")) {
			if (S.nargs >= MAX_LIST - 1) { errno = E2BIG; die("too many arguments"); }
			S.args[S.nargs++] = (char *)next_tok();
		}
		else if (!strcmp(k, "env")) {
			/* room for HOME and the terminating NULL */
			if (S.nenv >= MAX_LIST - 2) { errno = E2BIG; die("too many environment variables"); }
			S.env[S.nenv++] = (char *)next_tok();
		}
		else if (!strcmp(k, "cwd")) S.cwd = next_tok();
		else if (!strcmp(k, "uid")) S.uid = (uid_t)next_num();
		else if (!strcmp(k, "gid")) S.gid = (gid_t)next_num();
		else if (!strcmp(k, "group")) {
			if ((size_t)S.ngroups >= sizeof S.groups / sizeof S.groups[0]) { errno = E2BIG; die("too many groups"); }
			S.groups[S.ngroups++] = (gid_t)next_num();
		}
		else if (!strcmp(k, "caps")) { S.bnd = next_hex(); S.eff = next_hex(); S.prm = next_hex(); S.inh = next_hex(); S.amb = next_hex(); }
		else if (!strcmp(k, "nnp")) S.nnp = (int)next_num();
		else if (!strcmp(k, "oom")) { S.has_oom = 1; S.oom = (int)next_num(); }
		else if (!strcmp(k, "rlimit")) {
			int res = (int)next_num();
			rlim_t soft = (rlim_t)strtoull(next_tok(), NULL, 10), hard = (rlim_t)strtoull(next_tok(), NULL, 10);
			if (S.nrlimits < 64) S.rlimits[S.nrlimits++] = (struct rlim){ res, soft, hard };
		}
		else if (!strcmp(k, "tty")) { S.tty = 1; S.rows = (unsigned short)next_num(); S.cols = (unsigned short)next_num(); }
		else if (!strcmp(k, "ctl")) S.ctl = next_tok();
		else if (!strcmp(k, "stdin")) S.open_stdin = (int)next_num();
		else if (!strcmp(k, "cgroup") && S.ncgroups < 64) S.cgroups[S.ncgroups++] = next_tok();
		else if (!strcmp(k, "cgroup2")) S.cgroup2 = next_tok();
		else if (!strcmp(k, "exitfile")) S.exitfile = next_tok();
		else if (!strcmp(k, "bpfcache")) S.bpf_cache = next_tok();
		else if (!strcmp(k, "seccomp")) {
			/* everything after "seccomp" is the filter */
			S.sec_tokens = tok + ti; S.sec_ntokens = ntok - ti; ti = ntok;
		}
		else { errno = EINVAL; die(k); }
	}
	if (S.pid <= 0 || S.nargs == 0 || !S.cwd) { errno = EINVAL; die("incomplete spec"); }
}

/* ---- seccomp (runc's libcontainer/seccomp semantics) ---- */
static int sec_action(const char *name, int errno_ret, uint32_t *out) {
	int e = errno_ret >= 0 ? errno_ret : EPERM;
	if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_ERRNO")) *out = SCMP_ACT_ERRNO((uint32_t)e);
	else if (!strcmp(name, "SCMP_ACT_TRACE")) *out = SCMP_ACT_TRACE((uint32_t)e);
	else if (!strcmp(name, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
	else return -1;
	return 0;
}

static int sec_op(const char *name, enum scmp_compare *out) {
	static const struct { const char *n; enum scmp_compare op; } ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
		{ "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(ops[i].n, name)) { *out = ops[i].op; return 0; }
	return -1;
}

/*
 * Tokens: DEFAULT_ACTION DEFAULT_ERRNO(-1 = unset) NFLAGS FLAG… NARCH ARCH…
 * then rules: "rule" NAME ACTION ERRNO NCOND (INDEX OP VALUE VALUETWO)…
 * Compiles the filter with libseccomp and writes its BPF to `fd`.
 */
static void compile_seccomp(int fd) {
	char **t = S.sec_tokens; int n = S.sec_ntokens, i = 0;
#define NEXT() (i < n ? t[i++] : (child_fail(126, "seccomp spec truncated"), (char *)0))
	uint32_t defact;
	const char *defname = NEXT();
	int deferr = atoi(NEXT());
	if (sec_action(defname, deferr, &defact) < 0) child_fail(126, "seccomp: unknown action %s", defname);
	scmp_filter_ctx ctx = seccomp_init(defact);
	if (!ctx) child_fail(126, "seccomp_init failed");
	/* runc sets no_new_privs itself, only when the spec asks */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) child_fail(126, "seccomp: clearing CTL_NNP");
	int nflags = atoi(NEXT());
	for (int f = 0; f < nflags; f++) {
		const char *fl = NEXT();
		int r = 0;
		if (!strcmp(fl, "SECCOMP_FILTER_FLAG_LOG")) S.sec_flags |= SECCOMP_FILTER_FLAG_LOG;
		else if (!strcmp(fl, "SECCOMP_FILTER_FLAG_SPEC_ALLOW")) S.sec_flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (!strcmp(fl, "SECCOMP_FILTER_FLAG_TSYNC")) S.sec_flags |= SECCOMP_FILTER_FLAG_TSYNC;
		if (r < 0) child_fail(126, "seccomp: flag %s: %s", fl, goerr(-r));
	}
	int narch = atoi(NEXT());
	for (int a = 0; a < narch; a++) {
		const char *an = NEXT();
		char lower[64]; size_t j = 0;
		const char *p = strncmp(an, "SCMP_ARCH_", 10) == 0 ? an + 10 : an;
		for (; p[j] && j < sizeof lower - 1; j++) lower[j] = (char)((p[j] >= 'A' && p[j] <= 'Z') ? p[j] - 'A' + 'a' : p[j]);
		lower[j] = 0;
		uint32_t arch = seccomp_arch_resolve_name(lower);
		if (arch == 0) continue;
		int r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST) child_fail(126, "seccomp: adding arch %s: %s", an, goerr(-r));
	}
	while (i < n) {
		const char *kw = NEXT();
		if (strcmp(kw, "rule")) child_fail(126, "seccomp: bad token %s", kw);
		const char *name = NEXT();
		const char *actname = NEXT();
		int err = atoi(NEXT());
		int ncond = atoi(NEXT());
		struct scmp_arg_cmp conds[6];
		int nc = 0;
		for (int c = 0; c < ncond; c++) {
			unsigned idx = (unsigned)strtoul(NEXT(), NULL, 10);
			const char *opn = NEXT();
			uint64_t v = strtoull(NEXT(), NULL, 10), v2 = strtoull(NEXT(), NULL, 10);
			enum scmp_compare op;
			if (sec_op(opn, &op) < 0) child_fail(126, "seccomp: unknown operator %s", opn);
			if (nc < 6) conds[nc++] = (struct scmp_arg_cmp){ .arg = idx, .op = op, .datum_a = v, .datum_b = v2 };
		}
		uint32_t act;
		if (sec_action(actname, err, &act) < 0) child_fail(126, "seccomp: unknown action %s", actname);
		if (act == defact) continue; /* runc skips these; libseccomp rejects them */
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) continue; /* unknown to this libseccomp: runc ignores it */
		int same_index = 0;
		for (int a = 0; a < nc; a++)
			for (int b = a + 1; b < nc; b++)
				if (conds[a].arg == conds[b].arg) same_index = 1;
		int r;
		if (nc == 0) r = seccomp_rule_add(ctx, act, nr, 0);
		else if (same_index) {
			/* runc: several conditions on one argument become one rule each */
			r = 0;
			for (int a = 0; a < nc && r >= 0; a++) r = seccomp_rule_add_array(ctx, act, nr, 1, &conds[a]);
		} else r = seccomp_rule_add_array(ctx, act, nr, (unsigned)nc, conds);
		if (r < 0) child_fail(126, "seccomp: adding rule for %s: %s", name, goerr(-r));
	}
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0) child_fail(126, "seccomp: exporting the filter: %s", goerr(-r));
	seccomp_release(ctx);
#undef NEXT
}

/* Reads a whole BPF program from fd (at its start) into S.prog. */
static int read_prog(int fd) {
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 || st.st_size > (off_t)(65535 * sizeof(struct sock_filter))) return -1;
	struct sock_filter *f = malloc((size_t)st.st_size);
	if (!f) return -1;
	if (pread(fd, f, (size_t)st.st_size, 0) != st.st_size) { free(f); return -1; }
	S.prog.filter = f;
	S.prog.len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	return 0;
}

/*
 * The filter's BPF: from the cache file named after the profile's hash when
 * it exists (libseccomp's compilation costs tens of ms), else compiled and
 * stored there. Flags are re-read from the tokens either way.
 */
static void prepare_seccomp(void) {
	if (S.bpf_cache) {
		int fd = open(S.bpf_cache, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			int ok = read_prog(fd);
			close(fd);
			if (ok == 0) {
				/* flags only: parse the header tokens */
				int nflags = S.sec_ntokens > 2 ? atoi(S.sec_tokens[2]) : 0;
				for (int f = 0; f < nflags && 3 + f < S.sec_ntokens; f++) {
					const char *fl = S.sec_tokens[3 + f];
					if (!strcmp(fl, "SECCOMP_FILTER_FLAG_LOG")) S.sec_flags |= SECCOMP_FILTER_FLAG_LOG;
					else if (!strcmp(fl, "SECCOMP_FILTER_FLAG_SPEC_ALLOW")) S.sec_flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
					else if (!strcmp(fl, "SECCOMP_FILTER_FLAG_TSYNC")) S.sec_flags |= SECCOMP_FILTER_FLAG_TSYNC;
				}
				return;
			}
		}
	}
	char tmp[PATH_MAX];
	int fd;
	if (S.bpf_cache) {
		snprintf(tmp, sizeof tmp, "%s.XXXXXX", S.bpf_cache);
		fd = mkostemp(tmp, O_CLOEXEC);
	} else fd = memfd_create("berth-exec-bpf", MFD_CLOEXEC);
	if (fd < 0) die("creating the seccomp filter file");
	S.sec_flags = 0;
	compile_seccomp(fd);
	if (read_prog(fd) < 0) die("reading the compiled seccomp filter");
	if (S.bpf_cache) {
		fsync(fd);
		if (rename(tmp, S.bpf_cache) < 0) unlink(tmp);
	}
	close(fd);
}

static void load_seccomp(void) {
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, S.sec_flags, &S.prog) < 0) child_fail(126, "seccomp: loading the filter: %s", goerr(errno));
}

/* ---- capabilities ---- */
static int last_cap(void) {
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	char b[16] = {0};
	if (fd < 0) return 40;
	ssize_t r = read(fd, b, sizeof b - 1);
	close(fd);
	return r > 0 ? atoi(b) : 40;
}

static void apply_caps(int lastcap) {
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(S.eff >> (32 * i));
		data[i].permitted = (uint32_t)(S.prm >> (32 * i));
		data[i].inheritable = (uint32_t)(S.inh >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0) child_fail(126, "capset: %s", goerr(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) child_fail(126, "clearing ambient capabilities: %s", goerr(errno));
	for (int c = 0; c <= lastcap && c < 64; c++)
		if ((S.amb >> c) & 1) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0); /* runc ignores failures here */
}

/* HOME from the container's /etc/passwd when the env lacks it (runc's setupUser). */
static void ensure_home(void) {
	for (int i = 0; i < S.nenv; i++)
		if (!strncmp(S.env[i], "HOME=", 5)) return;
	static char home[PATH_MAX + 8];
	snprintf(home, sizeof home, "HOME=/");
	FILE *f = fopen("/etc/passwd", "re");
	if (f) {
		char line[4096];
		while (fgets(line, sizeof line, f)) {
			char *fields[7]; int nf = 0; char *save = NULL;
			char *p = line;
			/* strtok would merge empty fields */
			for (nf = 0; nf < 7 && p; nf++) { fields[nf] = p; p = strchr(p, ':'); if (p) *p++ = 0; }
			(void)save;
			if (nf < 6) continue;
			if (strtoul(fields[2], NULL, 10) != S.uid || fields[2][0] == 0) continue;
			char *h = fields[5];
			h[strcspn(h, "\n")] = 0;
			if (h[0]) snprintf(home, sizeof home, "HOME=%s", h);
			break;
		}
		fclose(f);
	}
	S.env[S.nenv++] = home;
}

static const char *getenv_spec(const char *key) {
	size_t kl = strlen(key);
	for (int i = 0; i < S.nenv; i++)
		if (!strncmp(S.env[i], key, kl) && S.env[i][kl] == '=') return S.env[i] + kl + 1;
	return NULL;
}

static int is_executable(const char *path, int *err) {
	struct stat st;
	if (stat(path, &st) < 0) { *err = errno; return 0; }
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) { *err = S_ISDIR(st.st_mode) ? EISDIR : EACCES; return 0; }
	return 1;
}

/* Go's exec.LookPath with the process's PATH, and runc's messages. */
static void exec_process(void) {
	const char *cmd = S.args[0];
	static char path[PATH_MAX];
	int err = 0;
	if (strchr(cmd, '/')) {
		if (!is_executable(cmd, &err)) {
			if (err == ENOENT) child_fail(127, "exec: \"%s\": stat %s: %s", cmd, cmd, goerr(err));
			child_fail(126, "exec: \"%s\": %s", cmd, err == EISDIR ? "is a directory" : goerr(err));
		}
		snprintf(path, sizeof path, "%s", cmd);
	} else {
		const char *p = getenv_spec("PATH");
		int found = 0;
		while (p && !found) {
			const char *end = strchr(p, ':');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			if (len == 0) snprintf(path, sizeof path, "./%s", cmd);
			else snprintf(path, sizeof path, "%.*s/%s", (int)len, p, cmd);
			int e2 = 0;
			if (is_executable(path, &e2)) found = 1;
			p = end ? end + 1 : NULL;
		}
		if (!found) child_fail(127, "exec: \"%s\": executable file not found in $PATH", cmd);
	}
	S.args[S.nargs] = NULL;
	S.env[S.nenv] = NULL;
	execve(path, S.args, S.env);
	child_fail(errno == ENOENT ? 127 : 126, "exec %s: %s", path, goerr(errno));
}

static void send_fd(int sock, int fd) {
	char c = 'm';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(sock, &msg, 0) < 0) child_fail(126, "sending the console: %s", goerr(errno));
}

static int recv_fd(int sock) {
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	ssize_t r;
	do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (r < 0 && errno == EINTR);
	if (r <= 0) return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static const char *const ns_names[] = { "user", "ipc", "uts", "net", "cgroup", "mnt" };
#define NNS (sizeof ns_names / sizeof ns_names[0])
static int ns_fds[NNS];

/* In the child: the process as runc's setns init makes it. Never returns. */
static void run_child(int stdio[3], int console_sock, sigset_t *oldmask) {
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	signal(SIGPIPE, SIG_DFL);
	int lastcap = last_cap();
	/*
	 * v1: "0" into `tasks` moves this (single-threaded) process without the
	 * global threadgroup lock a cgroup.procs write takes (an RCU grace period,
	 * ~10 ms); v2 was done by clone3 unless it was unavailable.
	 */
	char cgpath[PATH_MAX];
	for (int i = 0; i < S.ncgroups; i++) {
		snprintf(cgpath, sizeof cgpath, "%s/tasks", S.cgroups[i]);
		int fd = open(cgpath, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) child_fail(126, "joining cgroup %s: %s", S.cgroups[i], goerr(errno));
		close(fd);
	}
	if (S.cgroup2 && !S.in_cgroup2) {
		snprintf(cgpath, sizeof cgpath, "%s/cgroup.procs", S.cgroup2);
		int fd = open(cgpath, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) child_fail(126, "joining cgroup %s: %s", S.cgroup2, goerr(errno));
		close(fd);
	}
	for (size_t i = 0; i < NNS; i++) {
		if (ns_fds[i] < 0) continue;
		if (setns(ns_fds[i], 0) < 0) child_fail(126, "joining the %s namespace: %s", ns_names[i], goerr(errno));
		close(ns_fds[i]);
	}
	if (setsid() < 0) child_fail(126, "setsid: %s", goerr(errno));
	if (S.tty) {
		int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0) child_fail(126, "open /dev/ptmx: %s", goerr(errno));
		int unlock = 0;
		if (ioctl(master, TIOCSPTLCK, &unlock) < 0) child_fail(126, "unlockpt: %s", goerr(errno));
		int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
		if (slave < 0) child_fail(126, "opening the pty peer: %s", goerr(errno));
		if (S.rows && S.cols) {
			struct winsize ws = { .ws_row = S.rows, .ws_col = S.cols };
			ioctl(master, TIOCSWINSZ, &ws);
		}
		send_fd(console_sock, master);
		close(master);
		close(console_sock);
		if (ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(126, "setting the controlling terminal: %s", goerr(errno));
		/* runc's fixStdioPermissions: the terminal belongs to the process's user */
		if (S.uid != 0 && fchown(slave, S.uid, (gid_t)-1) < 0) child_fail(126, "chown of the terminal: %s", goerr(errno));
		for (int i = 0; i < 3; i++)
			if (dup2(slave, i) < 0) child_fail(126, "dup2: %s", goerr(errno));
		if (slave > 2) close(slave);
	} else {
		for (int i = 0; i < 3; i++)
			if (dup2(stdio[i], i) < 0) child_fail(126, "dup2: %s", goerr(errno));
		for (int i = 0; i < 3; i++)
			if (stdio[i] > 2) close(stdio[i]);
	}
	close(CTL_FD);
	/* nothing of the helper's (or of berthd's, should one leak) may reach the process: as runc, every fd above 2 closes at exec */
	if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) < 0) {
		struct rlimit nofile = { 1024, 1024 };
		getrlimit(RLIMIT_NOFILE, &nofile);
		for (int fd = 3; fd < (int)(nofile.rlim_cur < 65536 ? nofile.rlim_cur : 65536); fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (int i = 0; i < S.nrlimits; i++) {
		struct rlimit rl = { S.rlimits[i].soft, S.rlimits[i].hard };
		if (setrlimit(S.rlimits[i].resource, &rl) < 0) child_fail(126, "setrlimit %d: %s", S.rlimits[i].resource, goerr(errno));
	}
	if (S.has_oom) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			dprintf(fd, "%d", S.oom);
			close(fd);
		}
	}
	ensure_home();
	/* without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the capabilities drop (as runc) */
	if (S.sec_tokens && !S.nnp) load_seccomp();
	for (int c = 0; c <= lastcap && c < 64; c++)
		if (!((S.bnd >> c) & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			child_fail(126, "dropping capability %d from the bounding set: %s", c, goerr(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) child_fail(126, "keepcaps: %s", goerr(errno));
	int setgroups_ok = 1;
	{
		int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
		char b[16] = {0};
		if (fd >= 0) {
			if (read(fd, b, sizeof b - 1) > 0 && !strncmp(b, "deny", 4)) setgroups_ok = 0;
			close(fd);
		}
	}
	if (setgroups_ok && setgroups((size_t)S.ngroups, S.groups) < 0) child_fail(126, "setgroups: %s", goerr(errno));
	if (setresgid(S.gid, S.gid, S.gid) < 0) child_fail(126, "setgid %u: %s", S.gid, goerr(errno));
	if (setresuid(S.uid, S.uid, S.uid) < 0) child_fail(126, "setuid %u: %s", S.uid, goerr(errno));
	if (chdir(S.cwd) < 0) child_fail(errno == ENOENT ? 127 : 126, "chdir to cwd (\"%s\") set in config.json failed: %s", S.cwd, goerr(errno));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) child_fail(126, "keepcaps: %s", goerr(errno));
	apply_caps(lastcap);
	if (S.nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(126, "no_new_privs: %s", goerr(errno));
	if (S.sec_tokens && S.nnp) load_seccomp();
	exec_process();
}

/* ---- the parent: relay and report ---- */
static void json_string(FILE *f, const char *s) {
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
		else if (c < 0x20) fprintf(f, "\\u%04x", c);
		else fputc(c, f);
	}
	fputc('"', f);
}

static void ctl_write(const char *s) {
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t w = write(CTL_FD, s, len);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return; /* the daemon is gone: the exit file is the record */
		s += w; len -= (size_t)w;
	}
}

static int write_all(int fd, const char *buf, size_t len) {
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR) continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, -1);
			continue;
		}
		if (w <= 0) return -1;
		buf += w; len -= (size_t)w;
	}
	return 0;
}

static void write_exit_file(int code) {
	if (!S.exitfile) return;
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp", S.exitfile);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) return;
	dprintf(fd, "%d", code);
	close(fd);
	if (rename(tmp, S.exitfile) < 0) unlink(tmp);
}

int main(void) {
	signal(SIGPIPE, SIG_IGN);
	read_spec();
	parse_spec();

	char path[64];
	for (size_t i = 0; i < NNS; i++) {
		ns_fds[i] = -1;
		struct stat theirs, ours;
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)S.pid, ns_names[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && i != 0 && i != NNS - 1) continue; /* a namespace this kernel lacks */
			dprintf(CTL_FD, "{\"error\":\"container process %d is gone: %s\",\"code\":126}\n", (int)S.pid, strerror(errno));
			return 126;
		}
		snprintf(path, sizeof path, "/proc/self/ns/%s", ns_names[i]);
		if (fstat(fd, &theirs) == 0 && stat(path, &ours) == 0 && theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
			close(fd);
			continue;
		}
		ns_fds[i] = fd;
	}
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)S.pid);
	{
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat theirs, ours;
		if (fd < 0) die("opening the pid namespace");
		if (fstat(fd, &theirs) == 0 && stat("/proc/self/ns/pid", &ours) == 0 && !(theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)) {
			/* only our children enter it */
			if (setns(fd, CLONE_NEWPID) < 0) die("joining the pid namespace");
		}
		close(fd);
	}

	if (S.sec_tokens) prepare_seccomp();
	int errp[2];
	if (pipe2(errp, O_CLOEXEC) < 0) die("pipe");
	int console[2] = { -1, -1 };
	int child_io[3] = { -1, -1, -1 }, parent_io[3] = { -1, -1, -1 };
	if (S.tty) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0) die("socketpair");
	} else {
		int p[2];
		if (S.open_stdin) {
			if (pipe2(p, O_CLOEXEC) < 0) die("pipe");
			child_io[0] = p[0]; parent_io[0] = p[1];
		} else {
			child_io[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (child_io[0] < 0) die("/dev/null");
		}
		for (int i = 1; i < 3; i++) {
			if (pipe2(p, O_CLOEXEC) < 0) die("pipe");
			child_io[i] = p[1]; parent_io[i] = p[0];
		}
	}
	int ctlfifo = -1;
	if (S.tty && S.ctl) {
		unlink(S.ctl);
		if (mkfifo(S.ctl, 0600) == 0) ctlfifo = open(S.ctl, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	}
	sigset_t mask, oldmask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) die("signalfd");

	pid_t child = -1;
	if (S.cgroup2) {
		/* straight into the v2 cgroup (CLONE_INTO_CGROUP): no migration afterwards */
		int cgfd = open(S.cgroup2, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cgfd >= 0) {
			struct clone3_args args = { .flags = CLONE_INTO_CGROUP_FLAG, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgfd };
			child = (pid_t)syscall(SYS_clone3, &args, sizeof args);
			if (child == 0) { S.in_cgroup2 = 1; close(cgfd); }
			if (child > 0) close(cgfd);
		}
	}
	if (child < 0) child = fork();
	if (child < 0) die("fork");
	if (child == 0) {
		close(errp[0]);
		errpipe_w = errp[1];
		if (S.tty) close(console[0]);
		for (int i = 0; i < 3; i++) if (parent_io[i] >= 0) close(parent_io[i]);
		if (ctlfifo >= 0) close(ctlfifo);
		close(sfd);
		run_child(child_io, console[1], &oldmask);
	}
	close(errp[1]);
	for (size_t i = 0; i < NNS; i++) if (ns_fds[i] >= 0) close(ns_fds[i]);
	for (int i = 0; i < 3; i++) if (child_io[i] >= 0) close(child_io[i]);
	int master = -1;
	if (S.tty) {
		close(console[1]);
		master = recv_fd(console[0]);
		close(console[0]);
	}
	/* the error pipe closes at execve (close-on-exec) or carries why it failed */
	char ebuf[4096]; size_t elen = 0;
	for (;;) {
		ssize_t r = read(errp[0], ebuf + elen, sizeof ebuf - 1 - elen);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		elen += (size_t)r;
		if (elen >= sizeof ebuf - 1) break;
	}
	close(errp[0]);
	ebuf[elen] = 0;
	if (elen > 0) {
		int status;
		while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
		char *tab = strchr(ebuf, '\t');
		int code = atoi(ebuf);
		char *buf = NULL; size_t blen = 0;
		FILE *f = open_memstream(&buf, &blen);
		fprintf(f, "{\"error\":");
		json_string(f, tab ? tab + 1 : ebuf);
		fprintf(f, ",\"code\":%d}\n", code ? code : 126);
		fclose(f);
		ctl_write(buf);
		return code ? code : 126;
	}
	{
		char msg[64];
		snprintf(msg, sizeof msg, "{\"pid\":%d}\n", (int)child);
		ctl_write(msg);
	}

	/* relay: stdin → process (buffered, non-blocking), process output → fds 1/2 */
	int in_open = S.open_stdin;
	int to_child = S.tty ? master : parent_io[0];
	int out_fd[2] = { S.tty ? master : parent_io[1], S.tty ? -1 : parent_io[2] };
	int sink[2] = { 1, 2 }, sink_ok[2] = { 1, 1 };
	if (to_child >= 0) fcntl(to_child, F_SETFL, fcntl(to_child, F_GETFL) | O_NONBLOCK);
	char inbuf[65536]; size_t inlen = 0, inoff = 0;
	char obuf[65536];
	int exited = 0, code = 255, drained = 0;
	char ctlbuf[256]; size_t ctllen = 0;
	while (!exited || out_fd[0] >= 0 || out_fd[1] >= 0) {
		struct pollfd p[7]; int np = 0;
		int ix_in = -1, ix_tc = -1, ix_o[2] = { -1, -1 }, ix_sig = -1, ix_fifo = -1;
		if (in_open && inlen == 0) { ix_in = np; p[np++] = (struct pollfd){ .fd = 0, .events = POLLIN }; }
		if (inlen > 0 && to_child >= 0) { ix_tc = np; p[np++] = (struct pollfd){ .fd = to_child, .events = POLLOUT }; }
		for (int i = 0; i < 2; i++) if (out_fd[i] >= 0) { ix_o[i] = np; p[np++] = (struct pollfd){ .fd = out_fd[i], .events = POLLIN }; }
		if (!exited) { ix_sig = np; p[np++] = (struct pollfd){ .fd = sfd, .events = POLLIN }; }
		if (ctlfifo >= 0) { ix_fifo = np; p[np++] = (struct pollfd){ .fd = ctlfifo, .events = POLLIN }; }
		/*
		 * Once the process is gone, output still buffered is taken without
		 * waiting for late writers. A pipe holds it already; a terminal's
		 * last output may still sit in the flip buffer (pushed by a kworker):
		 * the master reports hang-up (then EIO once drained) as soon as the
		 * last slave fd is closed, so wait for that, up to a quiet 200 ms
		 * when a background process keeps the terminal.
		 */
		int r = poll(p, (nfds_t)np, exited ? (S.tty ? 200 : 0) : -1);
		if (r < 0 && errno == EINTR) continue;
		if (r < 0) break;
		if (exited && (r == 0 || ++drained > 4096)) break;
		if (ix_sig >= 0 && p[ix_sig].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) > 0) {}
			int status;
			pid_t w = waitpid(child, &status, WNOHANG);
			if (w == child) {
				exited = 1;
				in_open = 0; inlen = 0;
				if (ctlfifo >= 0) { close(ctlfifo); ctlfifo = -1; unlink(S.ctl); }
				code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
				for (int i = 0; i < 2; i++) if (out_fd[i] >= 0) fcntl(out_fd[i], F_SETFL, fcntl(out_fd[i], F_GETFL) | O_NONBLOCK);
			}
		}
		for (int i = 0; i < 2; i++) {
			if (ix_o[i] < 0 || !p[ix_o[i]].revents) continue;
			ssize_t n = read(out_fd[i], obuf, sizeof obuf);
			if (n < 0 && (errno == EINTR || errno == EAGAIN)) { if (exited) { close(out_fd[i]); if (out_fd[i] == to_child) to_child = -1; out_fd[i] = -1; } continue; }
			if (n <= 0) { /* EOF, or EIO once the terminal's last user closed it */
				if (out_fd[i] == to_child) to_child = -1;
				close(out_fd[i]); out_fd[i] = -1;
				continue;
			}
			if (sink_ok[i] && write_all(sink[i], obuf, (size_t)n) < 0) sink_ok[i] = 0;
		}
		if (ix_in >= 0 && p[ix_in].revents) {
			ssize_t n = read(0, inbuf, sizeof inbuf);
			if (n < 0 && (errno == EINTR || errno == EAGAIN)) {}
			else if (n <= 0) {
				in_open = 0;
				/* stdin closed: the process sees EOF (with a TTY the terminal stays) */
				if (!S.tty && to_child >= 0) { close(to_child); to_child = -1; }
			} else { inlen = (size_t)n; inoff = 0; }
		}
		if (ix_tc >= 0 && p[ix_tc].revents) {
			if (p[ix_tc].revents & (POLLERR | POLLHUP)) { inlen = 0; in_open = 0; }
			else {
				ssize_t n = write(to_child, inbuf + inoff, inlen - inoff);
				if (n > 0) { inoff += (size_t)n; if (inoff >= inlen) inlen = 0; }
				else if (n < 0 && errno != EAGAIN && errno != EINTR) { inlen = 0; in_open = 0; }
			}
		}
		if (ix_fifo >= 0 && p[ix_fifo].revents) {
			ssize_t n = read(ctlfifo, ctlbuf + ctllen, sizeof ctlbuf - 1 - ctllen);
			if (n > 0) {
				ctllen += (size_t)n; ctlbuf[ctllen] = 0;
				char *nl;
				while ((nl = strchr(ctlbuf, '\n'))) {
					*nl = 0;
					int kind = 0, rows = 0, cols = 0;
					if (sscanf(ctlbuf, "%d %d %d", &kind, &rows, &cols) == 3 && kind == 1 && master >= 0) {
						struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
						ioctl(master, TIOCSWINSZ, &ws);
					}
					size_t used = (size_t)(nl + 1 - ctlbuf);
					memmove(ctlbuf, nl + 1, ctllen - used + 1);
					ctllen -= used;
				}
				if (ctllen >= sizeof ctlbuf - 1) ctllen = 0;
			}
		}
	}
	if (!exited) {
		int status;
		while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
		code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	}
	if (ctlfifo >= 0) { close(ctlfifo); unlink(S.ctl); }
	close(1);
	close(2);
	write_exit_file(code);
	char msg[64];
	snprintf(msg, sizeof msg, "{\"exit\":%d}\n", code);
	ctl_write(msg);
	return 0;
}
