/*
 * ClickHouse error codes: which failures are worth retrying, which are caused
 * by rows (so bisecting the batch isolates them), and which are neither.
 *
 * Code names and numbers: ClickHouse's src/Common/ErrorCodes.cpp. The
 * retryable set starts from the one the official ClickHouse Kafka Connect
 * sink retries (com.clickhouse.kafka.connect.util.Utils.handleException:
 * 3, 159, 164, 202, 203, 209, 210, 252, 285, 425, 1002) and adds the
 * overload and replication states that clear by themselves (241, 242, 319,
 * 999, ...). The row-caused set is the parse and conversion failures a
 * JSONEachRow INSERT reports for a bad value, checked against real replies
 * of 18.16 and 26.x (tests/integration/).
 */
#include <stdlib.h>
#include <string.h>

#include "clickhouse/ch_int.h"

static const int retryable_codes[] = {
	3,    /* UNEXPECTED_END_OF_FILE */
	159,  /* TIMEOUT_EXCEEDED */
	164,  /* READONLY (a replica in read-only mode recovers) */
	202,  /* TOO_MANY_SIMULTANEOUS_QUERIES */
	203,  /* NO_FREE_CONNECTION */
	209,  /* SOCKET_TIMEOUT */
	210,  /* NETWORK_ERROR */
	236,  /* ABORTED */
	241,  /* MEMORY_LIMIT_EXCEEDED */
	242,  /* TABLE_IS_READ_ONLY */
	252,  /* TOO_MANY_PARTS */
	285,  /* TOO_FEW_LIVE_REPLICAS */
	286,  /* UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE */
	319,  /* UNKNOWN_STATUS_OF_INSERT */
	394,  /* QUERY_WAS_CANCELLED */
	425,  /* SYSTEM_ERROR */
	439,  /* CANNOT_SCHEDULE_TASK */
	999,  /* KEEPER_EXCEPTION */
	1002, /* UNKNOWN_EXCEPTION */
};

static const int row_codes[] = {
	6,   /* CANNOT_PARSE_TEXT */
	16,  /* NO_SUCH_COLUMN_IN_TABLE (an unknown key, if skipping is off) */
	25,  /* CANNOT_PARSE_ESCAPE_SEQUENCE */
	26,  /* CANNOT_PARSE_QUOTED_STRING */
	27,  /* CANNOT_PARSE_INPUT_ASSERTION_FAILED */
	32,  /* ATTEMPT_TO_READ_AFTER_EOF */
	33,  /* CANNOT_READ_ALL_DATA */
	38,  /* CANNOT_PARSE_DATE */
	41,  /* CANNOT_PARSE_DATETIME */
	53,  /* TYPE_MISMATCH */
	69,  /* ARGUMENT_OUT_OF_BOUND */
	70,  /* CANNOT_CONVERT_TYPE */
	72,  /* CANNOT_PARSE_NUMBER */
	117, /* INCORRECT_DATA */
	131, /* TOO_LARGE_STRING_SIZE */
	190, /* SIZES_OF_ARRAYS_DOESNT_MATCH */
	349, /* CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN */
	376, /* CANNOT_PARSE_UUID */
	407, /* DECIMAL_OVERFLOW */
	467, /* CANNOT_PARSE_BOOL */
};

static bool code_listed(const int *codes, size_t n, int code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (codes[i] == code)
			return true;
	return false;
}

qp_ch_failure_t qp_ch__classify_code(int code)
{
	if (code_listed(retryable_codes, sizeof(retryable_codes) / sizeof(int), code))
		return QP_CH_TRANSIENT;
	if (code_listed(row_codes, sizeof(row_codes) / sizeof(int), code))
		return QP_CH_BAD_ROWS;
	return QP_CH_FATAL;
}

qp_ch_failure_t qp_ch__classify_http(int status, int code)
{
	if (code > 0)
		return qp_ch__classify_code(code);
	/* No ClickHouse code: a proxy, a load balancer, or a server going down. */
	if (status >= 500 || status == 408 || status == 429)
		return QP_CH_TRANSIENT;
	return QP_CH_FATAL;
}

int qp_ch__parse_code(const char *text, size_t len)
{
	static const char mark[] = "Code: ";
	const size_t mark_len = sizeof(mark) - 1;
	size_t i;

	for (i = 0; i + mark_len < len; i++) {
		if (memcmp(text + i, mark, mark_len) == 0) {
			int code = 0;
			size_t j = i + mark_len;

			while (j < len && text[j] >= '0' && text[j] <= '9' && code < 100000)
				code = code * 10 + (text[j++] - '0');
			if (j > i + mark_len)
				return code;
		}
	}
	return 0;
}

void qp_ch__reply_text(qp_ch_reply_t *reply, const char *text, size_t len)
{
	size_t i, n = 0;

	/* Trim leading and trailing white space; fold the rest onto one line. */
	while (len && (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')) {
		text++;
		len--;
	}
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\n' ||
	               text[len - 1] == '\r' || text[len - 1] == '\t'))
		len--;
	for (i = 0; i < len && n + 1 < sizeof(reply->error); i++) {
		char c = text[i];

		reply->error[n++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	reply->error[n] = '\0';
}
