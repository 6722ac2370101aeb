/* quackpipe dlq: tail (cmd_dlq.c, with the dispatcher) and replay
 * (cmd_dlq_replay.c), and reading a dead letter's text headers. */
#ifndef QP_CLI_DLQ_H
#define QP_CLI_DLQ_H

#include <stddef.h>
#include <stdint.h>

#include "quackpipe.h"

/* `quackpipe dlq replay ...`: argv[0] is "dlq", argv[1] "replay".
 * Returns the exit code. */
int dlq_replay_main(int argc, char **argv);

/* The text of msg's last header called name, cut to cap - 1 bytes and
 * NUL-terminated in out; NULL when there is none (or it is null). */
const char *dlq_header_text(const qp_message_t *msg, const char *name, char *out, size_t cap);

/* The decimal value of msg's header called name, or absent without one. */
int64_t dlq_header_int(const qp_message_t *msg, const char *name, int64_t absent);

#endif
