/*
 * libquackpipe — version macros and the run-time version.
 *
 * CMake reads QP_VERSION_MAJOR/MINOR/PATCH from this file; the shared
 * library's SONAME carries the major version (see docs/abi.md).
 */
#ifndef QUACKPIPE_VERSION_H
#define QUACKPIPE_VERSION_H

#include "common.h"

#define QP_VERSION_MAJOR 0
#define QP_VERSION_MINOR 2
#define QP_VERSION_PATCH 0
#define QP_VERSION "0.2.0"

/* 0xMMmmpp: one byte each for major, minor and patch. */
#define QP_VERSION_NUMBER \
	((QP_VERSION_MAJOR << 16) | (QP_VERSION_MINOR << 8) | QP_VERSION_PATCH)

/* True when the headers are at least version major.minor.patch. */
#define QP_AT_LEAST_VERSION(major, minor, patch) \
	(QP_VERSION_NUMBER >= (((major) << 16) | ((minor) << 8) | (patch)))

QP_BEGIN_DECL

/* The version of the library actually loaded, e.g. "0.2.0". Thread-safe. */
QP_EXTERN const char *qp_version_str(void);

/* QP_VERSION_NUMBER of the library actually loaded. Thread-safe. */
QP_EXTERN int qp_version_number(void);

QP_END_DECL

#endif /* QUACKPIPE_VERSION_H */
