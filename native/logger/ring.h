/* berth-logger: mode=non-blocking. Included once, by berth-logger.c. */
#ifndef BERTH_LOGGER_RING_H
#define BERTH_LOGGER_RING_H

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


#endif
