/*
 * libquackpipe — common definitions shared by every public header.
 *
 * QP_EXTERN marks the exported API: the library is built with hidden
 * visibility, so anything without it is internal and may change at will.
 */
#ifndef QUACKPIPE_COMMON_H
#define QUACKPIPE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define QP_BEGIN_DECL extern "C" {
#define QP_END_DECL }
#else
#define QP_BEGIN_DECL
#define QP_END_DECL
#endif

#if defined(_WIN32) && defined(QUACKPIPE_SHARED_BUILD)
#define QP_EXTERN __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define QP_EXTERN __attribute__((visibility("default")))
#else
#define QP_EXTERN
#endif

QP_BEGIN_DECL

/*
 * A growable byte buffer the library writes into (encoders, row batches).
 * Initialise with QP_BUF_INIT; release with qp_buf_dispose(). Functions that
 * write into a buffer append to it: reset `size` to 0 to reuse the memory.
 * Not thread-safe: one buffer, one thread at a time.
 */
typedef struct qp_buf {
	char *ptr;    /* the bytes; NUL-terminated after every library write */
	size_t size;  /* bytes in use, not counting the terminating NUL */
	size_t asize; /* bytes allocated */
} qp_buf_t;

#define QP_BUF_INIT { NULL, 0, 0 }

/* Frees the buffer's memory and resets it to QP_BUF_INIT. Accepts NULL. */
QP_EXTERN void qp_buf_dispose(qp_buf_t *buf);

QP_END_DECL

#endif /* QUACKPIPE_COMMON_H */
