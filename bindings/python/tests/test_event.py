"""The event codec through the binding: decode, validation errors, encoders."""

import json
import threading

import pytest

import quackpipe
from quackpipe import ABSENT, capi


def test_decode_reads_every_field(event_lines):
    ev = quackpipe.decode(event_lines[0])
    assert ev.schema_version == quackpipe.SCHEMA_VERSION == 1
    assert ev.scan_id == "0b7e2c1a-5d0e-4f6b-9a59-1f2d3c4b5a69"
    assert ev.device_id == "dev-0042"
    assert ev.ts_ms == 1767225600000
    assert (ev.reward, ev.app_version, ev.platform) == (0.25, "2.3.1", "android")
    assert ev.enriched is False and ev.enrichment is None
    assert ev.gps.lat == 48.8566 and ev.gps.lon == 2.3522 and ev.gps.accuracy_m == 8.5
    assert [w.bssid for w in ev.wifi] == ["aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02",
                                          "aa:bb:cc:dd:ee:03"]
    assert [(w.rssi_dbm, w.freq_mhz) for w in ev.wifi] == [(-61, 2437), (-80, 5180), (-88, 5745)]
    assert ev.cell[0] == quackpipe.Cell(radio="lte", mcc=208, mnc=1, area=12345,
                                        cid=67890123, dbm=-95, serving=True,
                                        unknown_json="")
    assert ev.cell[1].radio == "gsm" and ev.cell[1].serving is False
    assert ev.ble[0].addr == "11:22:33:44:55:66" and ev.ble[0].tx_power == -59
    assert isinstance(ev.wifi, list) and isinstance(ev.cell, list) and isinstance(ev.ble, list)


def test_nullable_fields_are_tri_state(event_lines):
    ev = quackpipe.decode(event_lines[0])
    assert ev.gps.altitude_m == 35.25      # present
    assert ev.gps.speed_mps is None        # "speed_mps": null
    assert [w.ssid for w in ev.wifi] == ["cafe-du-coin", None, ABSENT]
    assert [c.dbm for c in ev.cell] == [-95, ABSENT]
    assert ev.ble[0].signal_strength is None
    other = quackpipe.decode(event_lines[3])
    assert other.gps.altitude_m is ABSENT and other.gps.speed_mps is ABSENT
    assert not ABSENT and repr(ABSENT) == "ABSENT"


def test_unknown_fields_are_kept(event_lines):
    ev = quackpipe.decode(event_lines[0])
    assert ev.unknown == {"battery": 87, "os": {"name": "android", "v": 14}}
    encoded = json.loads(ev.encode())
    assert encoded["battery"] == 87 and encoded["os"] == {"name": "android", "v": 14}
    assert quackpipe.decode(event_lines[3]).unknown == {}


def test_encode_round_trip(event_lines):
    ev = quackpipe.decode(event_lines[0])
    encoded = ev.encode()
    assert isinstance(encoded, bytes) and not encoded.endswith(b"\n")
    assert json.loads(encoded) == json.loads(event_lines[0])
    again = quackpipe.decode(encoded)
    for name in ("scan_id", "device_id", "ts_ms", "reward", "unknown_json"):
        assert getattr(again, name) == getattr(ev, name)
    assert (again.gps, again.wifi, again.cell, again.ble) == (ev.gps, ev.wifi, ev.cell, ev.ble)
    assert again.encode() == encoded


def test_decode_takes_bytes_like_and_str(event_lines):
    line = event_lines[3]
    for data in (line, bytearray(line), memoryview(line), line.decode()):
        assert quackpipe.decode(data).device_id == "dev-0045"
    with pytest.raises(TypeError):
        quackpipe.decode(12)
    with pytest.raises(quackpipe.Error):
        quackpipe.decode(None)  # (NULL, 0) reaches the library, which refuses it


@pytest.mark.parametrize("line, name, path, detail", [
    (1, "QP_ERR_FIELD_RANGE", "gps.lat", "gps.lat: 123.4 is outside [-90, 90]"),
    (2, "QP_ERR_FIELD_RANGE", "wifi[2].rssi_dbm", "wifi[2].rssi_dbm: 17 is outside [-120, 0]"),
    (4, "QP_ERR_JSON", None, None),
])
def test_invalid_events_raise_validation_error(event_lines, line, name, path, detail):
    with pytest.raises(quackpipe.ValidationError) as info:
        quackpipe.decode(event_lines[line])
    err = info.value
    assert err.name == name and err.code == getattr(capi, name)
    assert err.path == path
    if detail:
        assert err.detail == detail
    assert isinstance(err, quackpipe.Error)


def test_missing_and_forbidden_fields(event_lines):
    event = json.loads(event_lines[3])
    del event["device_id"]
    with pytest.raises(quackpipe.ValidationError) as info:
        quackpipe.decode(json.dumps(event))
    assert info.value.name == "QP_ERR_MISSING_FIELD" and info.value.path == "device_id"

    forged = json.loads(event_lines[3])
    forged["quality_score"] = 1.0  # a device must not set its own score
    with pytest.raises(quackpipe.ValidationError) as info:
        quackpipe.decode(json.dumps(forged))
    assert info.value.name == "QP_ERR_FORBIDDEN_FIELD"


def test_size_limit(event_lines):
    event = json.loads(event_lines[3])
    event["padding"] = "x" * capi.QP_EVENT_MAX_BYTES
    with pytest.raises(quackpipe.ValidationError) as info:
        quackpipe.decode(json.dumps(event))
    assert info.value.name == "QP_ERR_TOO_LARGE"


def test_row_encode(event_lines):
    row = quackpipe.decode(event_lines[0]).encode_row()
    assert row.endswith(b"\n") and row.count(b"\n") == 1
    columns = json.loads(row)
    assert columns["scan_id"] == "0b7e2c1a-5d0e-4f6b-9a59-1f2d3c4b5a69"
    assert columns["lat"] == 48.8566
    assert columns["wifi_bssid"] == ["aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02",
                                     "aa:bb:cc:dd:ee:03"]
    assert columns["cell_dbm"] == [-95, None]
    assert json.loads(columns["extra"]) == {"battery": 87, "os": {"name": "android", "v": 14}}


def test_enriched_encode_keeps_the_raw_bytes(event_lines):
    raw = event_lines[0]
    enrichment = quackpipe.Enrichment(received_ms=1767225600500,
                                      fraud_flags=("impossible_travel", "clock_skew"),
                                      quality_score=0.75, location_cluster="u09tvw",
                                      enriched_by="quackpipe-fraud/0.1.0")
    enriched = quackpipe.encode_enriched(raw, enrichment)
    assert enriched.startswith(raw[:-1])  # the device's bytes, untouched
    ev = quackpipe.decode_enriched(enriched)
    assert ev.enriched is True
    assert ev.enrichment == enrichment
    assert ev.unknown == {"battery": 87, "os": {"name": "android", "v": 14}}
    with pytest.raises(quackpipe.ValidationError):
        quackpipe.decode(enriched)  # enrichment is refused in a raw event

    none = quackpipe.Enrichment(1767225600500, (), 0.0, "", "engine")
    assert quackpipe.decode_enriched(quackpipe.encode_enriched(raw, none)).enrichment == none


def test_use_after_close_raises(event_lines):
    ev = quackpipe.decode(event_lines[0])
    gps = ev.gps  # a copy: stays valid
    ev.close()
    ev.close()
    for read in (lambda: ev.device_id, lambda: ev.gps, lambda: ev.wifi, ev.encode,
                 ev.encode_row):
        with pytest.raises(quackpipe.ClosedError):
            read()
    assert gps.lat == 48.8566
    assert "closed" in repr(ev)
    with quackpipe.decode(event_lines[3]) as scoped:
        assert scoped.device_id == "dev-0045"
    with pytest.raises(quackpipe.ClosedError):
        scoped.scan_id


def test_decoding_from_several_threads(event_lines):
    results, errors = [], []

    def work():
        try:
            for _ in range(200):
                results.append(quackpipe.decode(event_lines[0]).encode())
                with pytest.raises(quackpipe.ValidationError):
                    quackpipe.decode(event_lines[2])
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 800 and len(set(results)) == 1
