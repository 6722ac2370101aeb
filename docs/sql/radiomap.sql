-- The radio map, learned in ClickHouse from the trusted rows of scan_events:
-- one row per WiFi access point (BSSID) or BLE beacon, in the radio map file
-- format of docs/fraud.md (kind,mac,lat,lon,spread_m,devices,mobile).
-- `quackpipe radiomap` runs exactly this query (src/cli/cli_radiomap.c), with
-- {table} = qp.inserter.database.qp.inserter.table and the bounds from
-- qp.fraud.radiomap.learn.min.quality ({min_quality}),
-- qp.fraud.radiomap.learn.max.accuracy.m ({max_accuracy}),
-- qp.fraud.radiomap.min.devices ({min_devices}) and
-- qp.fraud.radiomap.mobile.span.m ({mobile_span}), and writes its CSV as the file.
--
-- Trusted rows: no fraud flag, quality at least {min_quality}, accuracy within
-- {max_accuracy}. Fixes weigh 1 / max(accuracy, 3 m)^2, as in the engine's
-- learner. The span is measured between the 5th and 95th percentiles of the
-- fixes, so that a few outliers (a spoofer's first fake fix, which no rule could
-- doubt) neither make a station mobile nor hide a moving one. Runs on
-- clickhouse-server 18.16 (Debian's package) and on recent ClickHouse / chdb.

SELECT kind, mac, c_lat, c_lon, spread_m, devices, mobile
FROM
(
    SELECT
        'wifi' AS kind,
        lower(replaceAll(station, '-', ':')) AS mac,
        sum(w * lat) / sum(w) AS c_lat,
        sum(w * lon) / sum(w) AS c_lon,
        111320 * sqrt(greatest(0, sum(w * lat * lat) / sum(w) - c_lat * c_lat)
            + greatest(0, sum(w * lon * lon) / sum(w) - c_lon * c_lon)
              * pow(cos(c_lat * pi() / 180), 2)) AS spread_m,
        uniqExact(device_id) AS devices,
        greatCircleDistance(quantile(0.05)(lon), quantile(0.05)(lat),
                            quantile(0.95)(lon), quantile(0.95)(lat)) > {mobile_span} AS mobile
    FROM
    (
        SELECT device_id, lat, lon, 1 / pow(greatest(accuracy_m, 3), 2) AS w,
               wifi_bssid AS stations
        FROM {table}
        WHERE empty(fraud_flags) AND quality_score >= {min_quality}
          AND accuracy_m <= {max_accuracy}
    )
    ARRAY JOIN stations AS station
    GROUP BY mac
    HAVING devices >= {min_devices}
    UNION ALL
    SELECT
        'ble' AS kind,
        lower(replaceAll(station, '-', ':')) AS mac,
        sum(w * lat) / sum(w) AS c_lat,
        sum(w * lon) / sum(w) AS c_lon,
        111320 * sqrt(greatest(0, sum(w * lat * lat) / sum(w) - c_lat * c_lat)
            + greatest(0, sum(w * lon * lon) / sum(w) - c_lon * c_lon)
              * pow(cos(c_lat * pi() / 180), 2)) AS spread_m,
        uniqExact(device_id) AS devices,
        greatCircleDistance(quantile(0.05)(lon), quantile(0.05)(lat),
                            quantile(0.95)(lon), quantile(0.95)(lat)) > {mobile_span} AS mobile
    FROM
    (
        SELECT device_id, lat, lon, 1 / pow(greatest(accuracy_m, 3), 2) AS w,
               ble_addr AS stations
        FROM {table}
        WHERE empty(fraud_flags) AND quality_score >= {min_quality}
          AND accuracy_m <= {max_accuracy}
    )
    ARRAY JOIN stations AS station
    GROUP BY mac
    HAVING devices >= {min_devices}
)
FORMAT CSV
