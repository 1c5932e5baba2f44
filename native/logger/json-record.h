/* berth-logger: dockerd's JSON string escaping and RFC3339Nano times. Included once, by berth-logger.c. */
#ifndef BERTH_LOGGER_JSON_RECORD_H
#define BERTH_LOGGER_JSON_RECORD_H

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


static void json_string_body(struct buf *b, const unsigned char *s, size_t n)
{
	json_string_body_x(b, s, n, 0);
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



#endif
