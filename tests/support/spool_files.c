/* Test support: see spool_files.h. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "spool_files.h"

int spool_segments(const char *dir, char *last, size_t last_size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char newest[256] = "";
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".seg")) {
			n++;
			/* Fixed-width hex names: the highest sorts last. */
			if (strcmp(e->d_name, newest) > 0)
				snprintf(newest, sizeof(newest), "%s", e->d_name);
		}
	closedir(d);
	if (last && n)
		snprintf(last, last_size, "%s/%s", dir, newest);
	return n;
}
