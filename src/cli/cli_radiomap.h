/* The radio map learned in ClickHouse (cmd_radiomap.c): `quackpipe radiomap`
 * and the demo's report, which learns it again from its own table. */
#ifndef QP_CLI_RADIOMAP_H
#define QP_CLI_RADIOMAP_H

#include "quackpipe.h"

/*
 * Runs docs/sql/radiomap.sql through ins on the table and with the bounds
 * of conf (qp.inserter.database/table, qp.fraud.radiomap.*) and appends the
 * result to out as a radio map file, header line first.
 */
qp_err_t cli_radiomap_query(qp_inserter_t *ins, const qp_conf_t *conf, qp_buf_t *out);

#endif
