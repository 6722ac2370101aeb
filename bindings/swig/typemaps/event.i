/*
 * The scan event is data the library allocates and owns: the bindings read
 * it, never write or allocate it. Its arrays are read through the
 * qp_event_*_at() accessors (a binding cannot index a C pointer).
 *
 * Nested structs (gps, a wifi entry, ...) come back as objects that borrow
 * the event's memory; the language layers copy them out at once (Python's
 * quackpipe.event, Go's Event), so nothing outlives the event by mistake.
 *
 * qp_enrichment_t is also an input (qp_event_encode_enriched): bindings build
 * one with the library's qp_enrichment_new() and qp_enrichment_add_flag(),
 * like a C host; the handle frees it with qp_enrichment_destroy().
 */

%immutable;
%nodefaultctor qp_gps;
%nodefaultdtor qp_gps;
%nodefaultctor qp_wifi;
%nodefaultdtor qp_wifi;
%nodefaultctor qp_cell;
%nodefaultdtor qp_cell;
%nodefaultctor qp_ble;
%nodefaultdtor qp_ble;
%nodefaultctor qp_opt_double;
%nodefaultdtor qp_opt_double;
%nodefaultctor qp_opt_int;
%nodefaultdtor qp_opt_int;

/* Read through qp_event_wifi_at() and friends. */
%ignore qp_scan_event::wifi;
%ignore qp_scan_event::cell;
%ignore qp_scan_event::ble;
%ignore qp_enrichment::fraud_flags;

QP_HANDLE(qp_scan_event, qp_scan_event_t, qp_event_destroy)
QP_HANDLE(qp_enrichment, qp_enrichment_t, qp_enrichment_destroy)
