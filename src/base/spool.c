/*
 * The spool's file format (base/spool_int.h): segments of length-prefixed,
 * CRC-checked records, a head file, and the scan that cuts a torn tail when
 * the spool is opened.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zlib.h>

#include "base/array_int.h"
#include "base/buf_int.h"
#include "base/bytes_int.h"
#include "base/errors_int.h"
#include "base/spool_int.h"

/* A segment holds about an eighth of the bound, so removed records wait at
 * most that long for their disk space; within these limits. */
#define SEGMENT_MIN (64u << 10)
#define SEGMENT_MAX (64u << 20)

typedef struct segment {
	uint64_t number; /* its file name */
	uint64_t size;
} segment_t;

struct qp_spool {
	char *dir;
	uint64_t max_bytes, segment_max;
	segment_t *segs; /* live segments, oldest first */
	size_t nsegs, cap;
	uint64_t next_number; /* of the next segment to create */
	int wfd;              /* the last segment, for appending; -1 none */
	bool dirty;           /* wfd appended to since the last sync */
	int *stale;           /* rolled segments appended to since the last */
	size_t nstale, stale_cap; /* sync, kept open for it */

	uint64_t head_off, head_seq; /* in segs[0] */
	uint64_t tail_seq;           /* sequence number of the next append */
	uint64_t bytes;              /* live bytes */
	uint64_t cut;

	size_t rseg;              /* read cursor: index in segs, */
	uint64_t roff, rseq;      /* offset and sequence number */
	int rfd;                  /* segs[rseg] opened for reading; -1 none */
	uint64_t rfd_number;
};

/* The CRC of a record: over its length bytes, then its payload. */
static uint32_t record_crc(const uint8_t *len_bytes, const void *payload, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, len_bytes, 4);
	if (len)
		crc = crc32(crc, payload, (uInt)len);
	return (uint32_t)crc;
}

static void seg_path(const char *dir, uint64_t number, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%016" PRIx64 ".seg", dir, number);
}

static qp_err_t io_error(const char *what, const char *path)
{
	return qp_error__set(QP_ERR_IO, "spool: %s %s: %s", what, path, strerror(errno));
}

/* pread of exactly len bytes; false on a short read or an error. */
static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/* Makes a created or renamed entry of the directory durable: fdatasync of
 * a file does not cover its name. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* ---- the head file ---- */

static qp_err_t write_head(const char *dir, uint64_t number, uint64_t off)
{
	char path[4096], tmp[4096], text[64];
	int fd, n;
	bool ok;

	snprintf(path, sizeof(path), "%s/head", dir);
	snprintf(tmp, sizeof(tmp), "%s/head.tmp", dir);
	n = snprintf(text, sizeof(text), "%016" PRIx64 " %" PRIu64 "\n", number, off);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return io_error("cannot create", tmp);
	ok = write(fd, text, (size_t)n) == n && fdatasync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path) != 0)
		return io_error("cannot write", path);
	sync_dir(dir);
	return QP_OK;
}

static void read_head(qp_spool_t *s, uint64_t *number, uint64_t *off)
{
	char path[4096];
	FILE *f;

	*number = 0;
	*off = 0;
	snprintf(path, sizeof(path), "%s/head", s->dir);
	if (!(f = fopen(path, "re")))
		return;
	if (fscanf(f, "%" SCNx64 " %" SCNu64, number, off) != 2)
		*number = *off = 0;
	fclose(f);
}

/* ---- opening: list the segments, check every record ---- */

static int by_number(const void *a, const void *b)
{
	const segment_t *x = a, *y = b;

	return x->number < y->number ? -1 : x->number > y->number;
}

static qp_err_t add_segment(qp_spool_t *s, uint64_t number, uint64_t size)
{
	if (QP_ARRAY_RESERVE(s->segs, s->cap, s->nsegs, 8))
		return qp_error__code(QP_ERR_NOMEM);
	s->segs[s->nsegs].number = number;
	s->segs[s->nsegs].size = size;
	s->nsegs++;
	return QP_OK;
}

static qp_err_t list_segments(qp_spool_t *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	qp_err_t err = QP_OK;

	if (!d)
		return io_error("cannot open the directory", s->dir);
	while (!err && (e = readdir(d))) {
		char path[4096], *end;
		struct stat st;
		uint64_t number = strtoull(e->d_name, &end, 16);

		if (strlen(e->d_name) != 20 || strcmp(end, ".seg") != 0)
			continue;
		seg_path(s->dir, number, path, sizeof(path));
		if (stat(path, &st) != 0)
			err = io_error("cannot stat", path);
		else
			err = add_segment(s, number, (uint64_t)st.st_size);
	}
	closedir(d);
	if (s->nsegs)
		qsort(s->segs, s->nsegs, sizeof(*s->segs), by_number);
	return err;
}

/* Checks the records of segs[i] from off; cuts the file at the first that
 * is torn or corrupt. Adds the records to the tail's sequence number. */
static qp_err_t scan_segment(qp_spool_t *s, size_t i, uint64_t off)
{
	segment_t *seg = &s->segs[i];
	char path[4096];
	qp_buf_t payload = QP_BUF_INIT;
	int fd;

	seg_path(s->dir, seg->number, path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return io_error("cannot open", path);
	while (off < seg->size) {
		uint8_t head[QP_SPOOL__RECORD_HEADER];
		uint32_t len;

		if (seg->size - off < sizeof(head) || !read_at(fd, head, sizeof(head), off))
			break;
		len = qp_bytes__get_le32(head);
		if (len > QP_SPOOL__RECORD_MAX || seg->size - off - sizeof(head) < len)
			break;
		qp_buf__truncate(&payload, 0);
		if (qp_buf__grow(&payload, len)) {
			close(fd);
			qp_buf_dispose(&payload);
			return qp_error__code(QP_ERR_NOMEM);
		}
		if (!read_at(fd, payload.ptr, len, off + sizeof(head)) ||
		    record_crc(head, payload.ptr, len) != qp_bytes__get_le32(head + 4))
			break;
		off += sizeof(head) + len;
		s->tail_seq++;
	}
	qp_buf_dispose(&payload);
	if (off < seg->size) {
		/* A torn write (the process died in it) or damaged bytes: what
		 * follows cannot be framed, so it is cut, not replayed. */
		s->cut += seg->size - off;
		if (ftruncate(fd, (off_t)off) != 0) {
			close(fd);
			return io_error("cannot cut the torn tail of", path);
		}
		seg->size = off;
	}
	close(fd);
	return QP_OK;
}

static void unlink_segment(const char *dir, uint64_t number)
{
	char path[4096];

	seg_path(dir, number, path, sizeof(path));
	unlink(path);
}

/* Closes the rolled segments kept open for the next sync (their records
 * all removed, or synced). */
static void close_stale(qp_spool_t *s)
{
	while (s->nstale)
		close(s->stale[--s->nstale]);
}

/* Forgets every segment and file: the spool is empty. */
static void reset_empty(qp_spool_t *s)
{
	char path[4096];
	size_t i;

	if (s->wfd >= 0)
		close(s->wfd);
	if (s->rfd >= 0)
		close(s->rfd);
	s->wfd = s->rfd = -1;
	close_stale(s);
	for (i = 0; i < s->nsegs; i++)
		unlink_segment(s->dir, s->segs[i].number);
	s->nsegs = 0;
	s->head_off = 0;
	s->bytes = 0;
	s->dirty = false;
	s->head_seq = s->tail_seq;
	s->rseg = 0;
	s->roff = 0;
	s->rseq = s->head_seq;
	snprintf(path, sizeof(path), "%s/head", s->dir);
	unlink(path);
}

static qp_err_t open_tail(qp_spool_t *s)
{
	char path[4096];

	seg_path(s->dir, s->segs[s->nsegs - 1].number, path, sizeof(path));
	if ((s->wfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		return io_error("cannot open", path);
	return QP_OK;
}

static qp_err_t recover(qp_spool_t *s)
{
	uint64_t head_number, head_off, total = 0;
	size_t i, drop = 0;
	qp_err_t err;

	read_head(s, &head_number, &head_off);
	if ((err = list_segments(s)))
		return err;
	/* Segments before the head were all removed; a crash after the head
	 * moved can leave them behind. */
	while (drop < s->nsegs && s->segs[drop].number < head_number)
		unlink_segment(s->dir, s->segs[drop++].number);
	if (drop) {
		memmove(s->segs, s->segs + drop, (s->nsegs - drop) * sizeof(*s->segs));
		s->nsegs -= drop;
	}
	if (s->nsegs && s->segs[0].number == head_number && head_off <= s->segs[0].size)
		s->head_off = head_off;
	for (i = 0; i < s->nsegs; i++) {
		if ((err = scan_segment(s, i, i ? 0 : s->head_off)))
			return err;
		total += s->segs[i].size;
	}
	if (s->nsegs)
		s->next_number = s->segs[s->nsegs - 1].number + 1;
	else
		s->next_number = head_number;
	if (s->nsegs && s->head_off > s->segs[0].size) /* cut below the head */
		s->head_off = s->segs[0].size;
	if (s->tail_seq == 0) {
		reset_empty(s);
		return QP_OK;
	}
	s->bytes = total - s->head_off;
	return open_tail(s);
}

/* Creates dir and those above it that are missing (the ingest journal's
 * "<spool>/journal" is opened before its spool). */
static qp_err_t make_dirs(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir), i;

	if (len >= sizeof(path))
		return qp_error__set(QP_ERR_INVALID_ARG, "spool: a directory name of %zu bytes, "
		                     "at most %zu", len, sizeof(path) - 1);
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return i == len ? io_error("cannot create the directory", dir)
			                : qp_error__set(QP_ERR_IO, "spool: cannot create the directory "
			                                "%s (for %s): %s", path, dir, strerror(errno));
		path[i] = dir[i];
	}
	return QP_OK;
}

qp_err_t qp_spool__open(qp_spool_t **out, const char *dir, uint64_t max_bytes)
{
	qp_spool_t *s;
	qp_err_t err;

	if (!out || !dir || !*dir)
		return qp_error__set(QP_ERR_INVALID_ARG, "qp_spool__open: no directory");
	*out = NULL;
	if ((err = make_dirs(dir)))
		return err;
	if (!(s = calloc(1, sizeof(*s))) || !(s->dir = strdup(dir))) {
		free(s);
		return qp_error__code(QP_ERR_NOMEM);
	}
	s->wfd = s->rfd = -1;
	s->max_bytes = max_bytes;
	s->segment_max = max_bytes / 8;
	if (s->segment_max < SEGMENT_MIN)
		s->segment_max = SEGMENT_MIN;
	if (s->segment_max > SEGMENT_MAX)
		s->segment_max = SEGMENT_MAX;
	if ((err = recover(s))) {
		qp_spool__close(s);
		return err;
	}
	qp_spool__rewind(s);
	*out = s;
	return QP_OK;
}

void qp_spool__close(qp_spool_t *s)
{
	if (!s)
		return;
	qp_spool__sync(s);
	close_stale(s);
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->rfd >= 0)
		close(s->rfd);
	free(s->stale);
	free(s->segs);
	free(s->dir);
	free(s);
}

/* ---- appending ---- */

/* Starts a new segment. The one left is not synced here (an append, under
 * its caller's lock, does not wait for the disk): it stays open for the
 * next sync, which covers it with the new one. */
static qp_err_t roll(qp_spool_t *s)
{
	char path[4096];
	qp_err_t err;
	int fd;

	if (s->dirty && QP_ARRAY_RESERVE(s->stale, s->stale_cap, s->nstale, 4))
		return qp_error__code(QP_ERR_NOMEM);
	seg_path(s->dir, s->next_number, path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return io_error("cannot create", path);
	sync_dir(s->dir);
	if ((err = add_segment(s, s->next_number, 0))) {
		close(fd);
		unlink(path);
		return err;
	}
	s->next_number++;
	if (s->wfd >= 0 && s->dirty)
		s->stale[s->nstale++] = s->wfd;
	else if (s->wfd >= 0)
		close(s->wfd);
	s->wfd = fd;
	s->dirty = false;
	return QP_OK;
}

qp_err_t qp_spool__append(qp_spool_t *s, const void *data, size_t len)
{
	struct iovec payload = { (void *)data, len };

	return qp_spool__append_many(s, &payload, 1);
}

/* The framed records of payloads, one after the other, into out. */
static qp_err_t frame(qp_buf_t *out, const struct iovec *payloads, size_t count)
{
	qp_err_t err = QP_OK;
	size_t i;

	for (i = 0; !err && i < count; i++) {
		uint8_t head[QP_SPOOL__RECORD_HEADER];
		size_t len = payloads[i].iov_len;

		qp_bytes__put_le32(head, (uint32_t)len);
		qp_bytes__put_le32(head + 4, record_crc(head, payloads[i].iov_base, len));
		err = qp_buf__put(out, head, sizeof(head));
		if (!err && len)
			err = qp_buf__put(out, payloads[i].iov_base, len);
	}
	return err;
}

qp_err_t qp_spool__append_many(qp_spool_t *s, const struct iovec *payloads, size_t count)
{
	qp_buf_t buf = QP_BUF_INIT;
	uint64_t need = 0;
	segment_t *tail;
	ssize_t n;
	size_t i;
	qp_err_t err;

	for (i = 0; i < count; i++) {
		if (payloads[i].iov_len > QP_SPOOL__RECORD_MAX)
			return qp_error__set(QP_ERR_TOO_LARGE, "spool: a record of %zu bytes, at "
			                     "most %u", payloads[i].iov_len, QP_SPOOL__RECORD_MAX);
		need += qp_spool__record_size(payloads[i].iov_len);
	}
	if (!count)
		return QP_OK;
	if (s->bytes + need > s->max_bytes)
		return qp_error__set(QP_ERR_QUEUE_FULL, "spool full: %" PRIu64 " of %" PRIu64
		                     " bytes used, %zu record(s) of %" PRIu64 " do not fit",
		                     s->bytes, s->max_bytes, count, need);
	if (!s->nsegs || (s->segs[s->nsegs - 1].size > 0 &&
	                  s->segs[s->nsegs - 1].size + need > s->segment_max))
		if ((err = roll(s)))
			return err;
	tail = &s->segs[s->nsegs - 1];
	if ((err = frame(&buf, payloads, count))) {
		qp_buf_dispose(&buf);
		return err;
	}
	/* One write: a crash tears at most the last record, which the next
	 * open cuts off. */
	do
		n = write(s->wfd, buf.ptr, buf.size);
	while (n < 0 && errno == EINTR);
	qp_buf_dispose(&buf);
	if (n != (ssize_t)need) {
		char path[4096];

		seg_path(s->dir, tail->number, path, sizeof(path));
		err = n < 0 ? io_error("cannot write", path)
		            : qp_error__set(QP_ERR_IO, "spool: short write to %s", path);
		/* Take back a partial record so the next append frames well. */
		if (ftruncate(s->wfd, (off_t)tail->size) != 0)
			qp_error__set(QP_ERR_IO, "spool: cannot cut a short write to %s: %s", path,
			              strerror(errno));
		return err;
	}
	tail->size += need;
	s->bytes += need;
	s->tail_seq += count;
	s->dirty = true;
	return QP_OK;
}

/* ---- syncing and removing, in two steps ---- */

void (*qp_spool__test_on_flush)(void *arg);
void *qp_spool__test_on_flush_arg;

/* The files appended to since the last sync into cut, to be synced by
 * finish(): the tail's descriptor duplicated (appends go on meanwhile), the
 * rolled ones handed over. Nothing taken on an error. */
static qp_err_t take_unsynced(qp_spool_t *s, qp_spool_cut_t *cut)
{
	size_t n = s->nstale + (s->dirty && s->wfd >= 0);

	if (!n)
		return QP_OK;
	if (!(cut->fds = malloc(n * sizeof(*cut->fds))))
		return qp_error__code(QP_ERR_NOMEM);
	if (s->dirty && s->wfd >= 0) {
		if ((cut->fds[0] = fcntl(s->wfd, F_DUPFD_CLOEXEC, 0)) < 0) {
			free(cut->fds);
			cut->fds = NULL;
			return io_error("cannot duplicate the descriptor of a segment in", s->dir);
		}
		cut->nfds = 1;
	}
	while (s->nstale)
		cut->fds[cut->nfds++] = s->stale[--s->nstale];
	s->dirty = false;
	return QP_OK;
}

/* The records before seq out of the spool's memory; what that leaves to do
 * on disk (the head to write, the segments to delete) into cut. */
static qp_err_t cut_head(qp_spool_t *s, uint64_t seq, qp_spool_cut_t *cut)
{
	uint8_t win[16 << 10];
	uint64_t win_off = 0, win_len = 0;
	size_t done = 0, i;
	int fd = -1;

	if (seq > s->tail_seq)
		seq = s->tail_seq;
	if (seq <= s->head_seq)
		return QP_OK;
	if (seq == s->tail_seq) {
		s->head_seq = seq;
		reset_empty(s);
		return QP_OK;
	}
	if (!(cut->unlink = malloc(s->nsegs * sizeof(*cut->unlink))))
		return qp_error__code(QP_ERR_NOMEM);
	/* Walk the headers from the head to the new head, reading a window
	 * of the segment at a time (not a read per record). */
	while (s->head_seq < seq) {
		char path[4096];
		uint64_t size;

		if (s->head_off >= s->segs[done].size) {
			done++;
			s->head_off = 0;
			if (fd >= 0)
				close(fd);
			fd = -1;
			win_len = 0;
		}
		seg_path(s->dir, s->segs[done].number, path, sizeof(path));
		if (fd < 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return io_error("cannot open", path);
		if (s->head_off < win_off || s->head_off + QP_SPOOL__RECORD_HEADER > win_off + win_len) {
			ssize_t n = pread(fd, win, sizeof(win), (off_t)s->head_off);

			win_off = s->head_off;
			win_len = n > 0 ? (uint64_t)n : 0;
			if (win_len < QP_SPOOL__RECORD_HEADER) {
				close(fd);
				return qp_error__set(QP_ERR_IO, "spool: cannot read a record in %s",
				                     path);
			}
		}
		size = qp_spool__record_size(qp_bytes__get_le32(win + (s->head_off - win_off)));
		s->head_off += size;
		s->bytes -= size;
		s->head_seq++;
	}
	if (fd >= 0)
		close(fd);
	if (s->head_off >= s->segs[done].size) {
		done++;
		s->head_off = 0;
	}
	cut->head = true;
	cut->head_number = s->segs[done].number;
	cut->head_off = s->head_off;
	for (i = 0; i < done; i++) {
		if (s->rfd >= 0 && s->rfd_number == s->segs[i].number) {
			close(s->rfd);
			s->rfd = -1;
		}
		cut->unlink[cut->nunlink++] = s->segs[i].number;
	}
	memmove(s->segs, s->segs + done, (s->nsegs - done) * sizeof(*s->segs));
	s->nsegs -= done;
	if (s->rseq < s->head_seq)
		qp_spool__rewind(s);
	else
		s->rseg -= done;
	return QP_OK;
}

/* The disk's part of a cut: sync, then the new head, then the deletions. */
static qp_err_t finish(qp_spool_cut_t *cut)
{
	qp_err_t err = QP_OK;
	size_t i;

	for (i = 0; i < cut->nfds; i++) {
		if (!err && fdatasync(cut->fds[i]) != 0)
			err = qp_error__set(QP_ERR_IO, "spool: fdatasync in %s: %s", cut->dir,
			                    strerror(errno));
		close(cut->fds[i]);
	}
	/* The new head before any segment is deleted: a crash between the two
	 * leaves files that the next open deletes, never records replayed
	 * twice. When the head cannot be written, the removed records stay on
	 * disk and come again after a restart: at least once, never lost. */
	if (cut->head) {
		qp_err_t head_err = write_head(cut->dir, cut->head_number, cut->head_off);

		for (i = 0; !head_err && i < cut->nunlink; i++)
			unlink_segment(cut->dir, cut->unlink[i]);
		if (!err)
			err = head_err;
	}
	free(cut->fds);
	free(cut->unlink);
	memset(cut, 0, sizeof(*cut));
	return err;
}

qp_err_t qp_spool__cut_start(qp_spool_t *s, uint64_t seq, qp_spool_cut_t *cut)
{
	qp_err_t err;

	memset(cut, 0, sizeof(*cut));
	cut->dir = s->dir;
	if ((err = take_unsynced(s, cut)))
		return err;
	return cut_head(s, seq, cut);
}

qp_err_t qp_spool__cut_finish(qp_spool_cut_t *cut)
{
	if (cut->nfds && qp_spool__test_on_flush)
		qp_spool__test_on_flush(qp_spool__test_on_flush_arg);
	return finish(cut);
}

qp_err_t qp_spool__sync(qp_spool_t *s)
{
	qp_spool_cut_t cut = { .dir = s->dir };
	qp_err_t err = take_unsynced(s, &cut);

	return err ? err : finish(&cut);
}

/* ---- reading and removing ---- */

void qp_spool__rewind(qp_spool_t *s)
{
	s->rseg = 0;
	s->roff = s->head_off;
	s->rseq = s->head_seq;
}

static qp_err_t open_reader(qp_spool_t *s)
{
	char path[4096];

	if (s->rfd >= 0 && s->rfd_number == s->segs[s->rseg].number)
		return QP_OK;
	if (s->rfd >= 0)
		close(s->rfd);
	seg_path(s->dir, s->segs[s->rseg].number, path, sizeof(path));
	if ((s->rfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return io_error("cannot open", path);
	s->rfd_number = s->segs[s->rseg].number;
	return QP_OK;
}

qp_err_t qp_spool__next(qp_spool_t *s, qp_buf_t *out, uint64_t *seq)
{
	uint8_t head[QP_SPOOL__RECORD_HEADER];
	uint32_t len;
	qp_err_t err;

	if (s->rseq >= s->tail_seq)
		return QP_ERR_NO_EVENT;
	while (s->roff >= s->segs[s->rseg].size) {
		s->rseg++;
		s->roff = 0;
	}
	if ((err = open_reader(s)))
		return err;
	if (!read_at(s->rfd, head, sizeof(head), s->roff))
		return qp_error__set(QP_ERR_IO, "spool: cannot read a record in %s", s->dir);
	len = qp_bytes__get_le32(head);
	qp_buf__truncate(out, 0);
	if (len > QP_SPOOL__RECORD_MAX)
		return qp_error__set(QP_ERR_IO, "spool: a damaged record in %s", s->dir);
	if (qp_buf__grow(out, len))
		return qp_error__code(QP_ERR_NOMEM);
	if (!read_at(s->rfd, out->ptr, len, s->roff + sizeof(head)) ||
	    record_crc(head, out->ptr, len) != qp_bytes__get_le32(head + 4))
		return qp_error__set(QP_ERR_IO, "spool: a record in %s no longer matches its CRC",
		                     s->dir);
	qp_buf__truncate(out, len);
	*seq = s->rseq++;
	s->roff += sizeof(head) + len;
	return QP_OK;
}

qp_err_t qp_spool__remove_until(qp_spool_t *s, uint64_t seq)
{
	qp_spool_cut_t cut = { .dir = s->dir };
	qp_err_t err = cut_head(s, seq, &cut);
	qp_err_t disk = finish(&cut);

	return err ? err : disk;
}

uint64_t qp_spool__head_seq(const qp_spool_t *s)
{
	return s->head_seq;
}

uint64_t qp_spool__records(const qp_spool_t *s)
{
	return s->tail_seq - s->head_seq;
}

uint64_t qp_spool__bytes(const qp_spool_t *s)
{
	return s->bytes;
}

uint64_t qp_spool__max_bytes(const qp_spool_t *s)
{
	return s->max_bytes;
}

uint64_t qp_spool__cut_bytes(const qp_spool_t *s)
{
	return s->cut;
}

uint64_t qp_spool__tail_seq(const qp_spool_t *s)
{
	return s->tail_seq;
}
