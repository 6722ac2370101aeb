/* Internal: raising errors with a detail message. */
#ifndef QP_ERRORS_INT_H
#define QP_ERRORS_INT_H

#include "quackpipe/errors.h"

#if defined(__GNUC__)
#define QP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define QP_PRINTF(fmt, args)
#endif

/*
 * Records code and a printf-style detail as the calling thread's last error
 * and returns code, so that a failing path reads `return qp_error__set(...)`.
 */
qp_err_t qp_error__set(qp_err_t code, const char *fmt, ...) QP_PRINTF(2, 3);

/* Like qp_error__set, with the code's own description as the detail. */
qp_err_t qp_error__code(qp_err_t code);

#endif
