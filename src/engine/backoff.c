/* Capped exponential backoff with jitter. */
#include "engine/backoff_int.h"

static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15u;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

int64_t qp_backoff__delay_ms(qp_backoff_t *backoff, unsigned attempt)
{
	int64_t delay = backoff->base_ms > 0 ? backoff->base_ms : 1;
	int64_t half;

	if (attempt < 1)
		attempt = 1;
	/* Double until the cap; stop early so the shift never overflows. */
	while (--attempt > 0 && delay < backoff->max_ms)
		delay *= 2;
	if (delay > backoff->max_ms)
		delay = backoff->max_ms;
	half = delay / 2;
	return half + (int64_t)(next_random(&backoff->rng) % (uint64_t)(delay - half + 1));
}
