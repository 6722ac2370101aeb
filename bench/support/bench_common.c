#define _GNU_SOURCE /* program_invocation_short_name */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "quackpipe.h"

void bench_print_conditions(const char *benchmark)
{
	char line[256], model[256] = "unknown";
	double load[3] = { 0, 0, 0 };
	FILE *f;

	if ((f = fopen("/proc/cpuinfo", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10)) {
				snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	if ((f = fopen("/proc/loadavg", "r"))) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = -1;
		fclose(f);
	}
	printf("benchmark %s: libquackpipe %s, %s, %ld cores online, load %.2f\n",
	       benchmark, qp_version_str(), model, sysconf(_SC_NPROCESSORS_ONLN), load[0]);
}

void bench_result(const char *name, double value, const char *unit,
                  const char *baseline, double baseline_value)
{
	printf("RESULT name=%s value=%.4g unit=%s baseline=%s baseline_value=%.4g ratio=%.3f\n",
	       name, value, unit, baseline, baseline_value,
	       baseline_value != 0 ? value / baseline_value : 0.0);
	fflush(stdout);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return v[n / 2];
}

void bench_die(const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, detail);
	exit(1);
}

void bench_set(qp_conf_t *conf, const char *key, const char *value)
{
	if (qp_conf_set(conf, key, value))
		bench_die(key, qp_error_last());
}

void bench_set_int(qp_conf_t *conf, const char *key, long long value)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", value);
	bench_set(conf, key, text);
}

double bench_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
