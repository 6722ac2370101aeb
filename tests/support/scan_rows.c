/* Made-up scan-event rows for the inserter's tests and benchmark. */
#include <stdio.h>

#include "base/buf_int.h"
#include "scan_rows.h"

void qp_test_scan_row(qp_buf_t *out, const char *run, int i)
{
	qp_buf__printf(out,
		"{\"scan_id\":\"%s-%08d\",\"device_id\":\"device-%03d\",\"schema_version\":1,"
		"\"ts_ms\":%lld,\"received_ms\":%lld,\"lat\":%.6f,\"lon\":%.6f,"
		"\"accuracy_m\":%.1f,\"altitude_m\":%s,\"speed_mps\":%s,"
		"\"wifi_bssid\":[\"aa:bb:cc:00:%02x:01\",\"aa:bb:cc:00:%02x:02\"],"
		"\"wifi_ssid\":[\"home\",\"cafe \\\"\\u00e9\\\"\"],\"wifi_rssi_dbm\":[-60,-71],"
		"\"wifi_freq_mhz\":[2412,5180],\"cell_radio\":[\"lte\",\"nr\"],"
		"\"cell_mcc\":[208,208],\"cell_mnc\":[1,15],\"cell_area\":[12345,4294967295],"
		"\"cell_cid\":[%d,68719476735],\"cell_dbm\":[-95,null],\"cell_serving\":[1,0],"
		"\"ble_addr\":[\"11:22:33:44:55:%02x\"],\"ble_rssi_dbm\":[-80],"
		"\"ble_tx_power\":[%s],\"reward\":0.25,\"app_version\":\"1.4.%d\","
		"\"platform\":\"%s\",\"fraud_flags\":[%s],\"quality_score\":0.%d,"
		"\"location_cluster\":\"u09tv%d\",\"enriched_by\":\"quackpipe-fraud/0.1\","
		"\"extra\":\"{\\\"battery\\\":%d}\"}\n",
		run, i, i % 97, 1764240000000LL + i * 1000LL, 1764240000500LL + i * 1000LL,
		48.85 + (i % 100) * 1e-4, 2.35 + (i % 50) * 1e-4, 5.0 + i % 20,
		i % 3 ? "35.5" : "null", i % 4 ? "1.25" : "null", i % 256, i % 256,
		1000 + i, i % 256, i % 2 ? "-59" : "null", i % 10,
		i % 2 ? "android" : "ios", i % 5 ? "" : "\"impossible_travel\"", i % 10,
		i % 7, i % 100);
}

void qp_test_poison_row(qp_buf_t *out, const char *run, int i)
{
	qp_buf__printf(out, "{\"scan_id\":\"%s-%08d\",\"device_id\":\"device-x\","
	               "\"ts_ms\":\"yesterday\"}\n", run, i);
}
