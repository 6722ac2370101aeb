/*
 * libquackpipe — the umbrella header: include this one.
 *
 * Each module has its own header under quackpipe/; the API principles, the
 * pipeline and the threading rules are in docs/ (start with docs/README.md).
 * Headers under quackpipe/sys/ (the mock cluster) are outside the ABI
 * promise and included explicitly.
 */
#ifndef QUACKPIPE_H
#define QUACKPIPE_H

#include "quackpipe/common.h"
#include "quackpipe/version.h"
#include "quackpipe/errors.h"
#include "quackpipe/conf.h"
#include "quackpipe/event.h"
#include "quackpipe/fraud.h"
#include "quackpipe/inserter.h"
#include "quackpipe/headers.h"
#include "quackpipe/message.h"
#include "quackpipe/producer.h"
#include "quackpipe/admin.h"
#include "quackpipe/runner.h"
#include "quackpipe/ingest.h"
#include "quackpipe/alerts.h"

#endif /* QUACKPIPE_H */
