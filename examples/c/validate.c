/*
 * validate: decodes every line of an NDJSON file of scan events and says
 * what is wrong with each bad one, with its field path.
 *     validate events.ndjson
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0, bad = 0;
	ssize_t len;
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: validate FILE.ndjson\n");
		return 2;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		qp_scan_event_t *ev;

		lineno++;
		if (qp_event_decode(&ev, line, (size_t)len) != QP_OK) {
			printf("line %zu: %s\n", lineno, qp_error_last());
			bad++;
			continue;
		}
		printf("line %zu: ok, device %s, %zu wifi, %zu cells, %zu ble\n", lineno,
		       ev->device_id, ev->wifi_count, ev->cell_count, ev->ble_count);
		qp_event_destroy(ev);
	}
	free(line);
	fclose(f);
	printf("%zu events, %zu invalid\n", lineno, bad);
	return bad ? 1 : 0;
}
