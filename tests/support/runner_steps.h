/*
 * Test support: steps that drive a qp_runner_t in tests, failing the CMocka
 * test with the reason when the runner does not get there in time. Waiting
 * has generous deadlines (group joins on a loaded machine are slow); the
 * tests assert outcomes, never durations.
 */
#ifndef QP_TEST_RUNNER_STEPS_H
#define QP_TEST_RUNNER_STEPS_H

#include "quackpipe/runner.h"

#define STEP_DEADLINE_MS 60000

/* How long one phase (step_phase) may take before the watchdog ends the
 * test: longer than any step's deadline, shorter than ctest's timeout. */
#define STEP_PHASE_MAX_S 180

/* Names what the test does next and (re)arms a watchdog: a test still in
 * that phase after STEP_PHASE_MAX_S (stuck inside a library call, where no
 * step's deadline reaches) prints the phase's name and aborts, instead of
 * hanging silently until ctest kills it. NULL disarms it. */
void step_phase(const char *what);

/* The next message of any kind. */
qp_message_t *step_next(qp_runner_t *r);

/* Waits for an ASSIGNED notice (acks it) and returns its partition count.
 * Fails on an event first. */
size_t step_assigned(qp_runner_t *r);

/* The next event; notices on the way are acked. */
qp_message_t *step_event(qp_runner_t *r);

/* A runner of group on kf (kf_runner_conf, dead letters to dlq unless
 * NULL) with settings (key, value pairs, NULL-terminated; NULL: none),
 * subscribed to topic and past its first assignment. */
struct kf;
qp_runner_t *step_runner(struct kf *kf, const char *topic, const char *group, const char *dlq,
                         const char *const *settings);

/* Calls next(r, 20 ms) until committed(group, topic, partition) == want;
 * fails on any message in the meantime. */
void step_until_committed(qp_runner_t *r, struct kf *kf, const char *group,
                          const char *topic, int32_t partition, int64_t want);

#endif
