/*
 * The ingest API handler (quackpipe/ingest.h): the request's body is bytes
 * like any buffer; a response's body comes back as text (JSON or the
 * Prometheus exposition, NUL-free), and a header as its [name, value].
 */
%apply (const void *BYTES, size_t LEN) { (const void *body, size_t body_len) };
%apply const char **name { const char **value };
%ignore qp_ingest_stats::reserved;
