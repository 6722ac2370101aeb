/*
 * The go_track GPS trajectories (../shared/data/gotrack-aracaju, CC BY 4.0,
 * "GPS Trajectories" data set, M. O. Cruz, H. Macedo, A. Guimaraes, UCI
 * Machine Learning Repository): real phones in Aracaju, Brazil, 2014-2016.
 */
#ifndef QP_FRAUD_TEST_GOTRACK_H
#define QP_FRAUD_TEST_GOTRACK_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define GOTRACK_CSV QP_SHARED_DATA "/gotrack-aracaju/go_track_trackspoints.csv"

typedef struct gotrack_point {
	double lat, lon;
	int track;
	int64_t ts_ms; /* the file's local time, read as UTC */
} gotrack_point_t;

/* Loads every point, in file order: each track's points are in time order,
 * but some tracks are interleaved with others (as devices are in a topic).
 * Fails the test loudly if the data is missing. */
static inline gotrack_point_t *gotrack_load(size_t *count)
{
	gotrack_point_t *points = NULL;
	size_t n = 0, alloc = 0;
	char line[256];
	FILE *f = fopen(GOTRACK_CSV, "r");

	if (!f)
		fail_msg("%s is missing: the shared test data must be in ../shared/data", GOTRACK_CSV);
	while (fgets(line, sizeof(line), f)) {
		struct tm tm = { 0 };
		gotrack_point_t p;

		if (sscanf(line, "%lf,%lf,%d,%d-%d-%d %d:%d:%d", &p.lat, &p.lon, &p.track,
		           &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		           &tm.tm_sec) != 9)
			continue; /* the header */
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		p.ts_ms = (int64_t)timegm(&tm) * 1000;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 4096;
			assert_non_null(points = realloc(points, alloc * sizeof(*points)));
		}
		points[n++] = p;
	}
	fclose(f);
	*count = n;
	return points;
}

#endif
