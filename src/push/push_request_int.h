/* Internal to push/: the body of one push for its provider. */
#ifndef QP_PUSH_REQUEST_INT_H
#define QP_PUSH_REQUEST_INT_H

#include "push/push_int.h"

/* The JSON body for msg->platform, replacing out's content. */
qp_err_t qp_push__body(qp_buf_t *out, const qp_push_msg_t *msg);

#endif
