/* Shared by the event tests: fixtures, an event builder, comparisons. */
#ifndef QP_EVENT_TEST_H
#define QP_EVENT_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "quackpipe.h"

/* tests/resources/events/<name>, NUL-terminated; *len without the NUL.
 * Fails the test if it cannot be read. Free with free(). */
char *event_fixture(const char *name, size_t *len);

/* Decodes len bytes from a heap copy of exactly len bytes, so that ASan
 * reports any read past the end. */
qp_err_t decode_exact(qp_scan_event_t **out, const char *text, size_t len, bool enriched);

/*
 * A valid raw event with changes applied: "key" removes a top-level member,
 * "key:json" replaces its value (or appends the member if new). The base
 * event has 3 wifi, 1 cell and 1 ble entries (see event_test.c). changes is
 * NULL-terminated. Free with free().
 */
char *event_with(const char *const *changes);
#define EVENT_WITH(...) event_with((const char *const[]){ __VA_ARGS__, NULL })

/* The base event's top-level members, as event_with writes them. */
extern const char *const event_base_members[][2];

/* Asserts every field of a and b equal (strings by value, NULL-aware). */
void assert_events_equal(const qp_scan_event_t *a, const qp_scan_event_t *b);

/* Asserts a decode fails with code and exactly this detail. */
void assert_decode_fails(const char *text, bool enriched, qp_err_t code, const char *detail);

#endif
