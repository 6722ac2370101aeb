"""The fraud engine: tower table, built-in rules, a custom rule, counters."""

import csv
import json

import pytest

import quackpipe
from conftest import RESOURCES, make_event

TOWERS = RESOURCES / "fraud" / "towers-fr-excerpt.csv"
# A UMTS tower of the excerpt, north of Paris (range 1000 m).
TOWER_CELL = {"radio": "wcdma", "mcc": 208, "mnc": 10, "area": 18013, "cid": 8653445,
              "serving": True}


def paris_event(**fields):
    """An android scan in central Paris, about 15 km from TOWER_CELL."""
    return quackpipe.decode(make_event("phone-f", cell=[TOWER_CELL], **fields))


def loadable_towers():
    with open(TOWERS, newline="") as f:
        return sum(1 for row in csv.DictReader(f)
                   if row["radio"] in ("GSM", "UMTS", "LTE", "NR", "CDMA"))


def test_evaluate_with_towers_and_a_custom_rule():
    conf = quackpipe.Conf(**{"qp.fraud.tower_mismatch.penalty": 0.25})
    engine = quackpipe.FraudEngine(conf)
    conf.close()  # the engine keeps its own copy
    engine.load_towers(TOWERS)
    assert engine.counter("towers") == loadable_towers() > 0
    assert engine.counter("tower_bad_lines") == 0

    seen = []

    def emulator(event, verdict):
        seen.append((event.device_id, event.platform, verdict.flags, verdict.score,
                     verdict.received_ms))
        if event.platform == "android":
            verdict.add_flag("emulator", 0.5)
            verdict.add_flag("emulator", 0.5)  # already present: no change
        kept.append(verdict)

    kept = []
    engine.add_rule("emulator", emulator)
    assert engine.rules()[-1] == "emulator" and "tower_mismatch" in engine.rules()

    event = paris_event()
    received = event.ts_ms + 1000
    result = engine.evaluate(event, received, partition=3)
    assert seen == [("phone-f", "android", ["tower_mismatch"], pytest.approx(0.75), received)]
    assert result.fraud_flags == ("tower_mismatch", "emulator")
    assert result.quality_score == pytest.approx(0.25)
    assert result.received_ms == received
    assert result.location_cluster.startswith("u09t")  # central Paris
    assert result.enriched_by.startswith("quackpipe-fraud/")
    assert engine.rule_count("emulator") == 1 and engine.rule_count("tower_mismatch") == 1
    assert engine.counter("evaluated") == 1 and engine.counter("flagged") == 1
    with pytest.raises(KeyError):
        engine.counter("no-such-counter")
    with pytest.raises(KeyError):
        engine.rule_count("no-such-rule")
    with pytest.raises(quackpipe.ClosedError):
        kept[0].score  # lent for the rule's call only

    # The enrichment is what fraud-svc appends to the device's bytes.
    raw = make_event("phone-f")
    enriched = quackpipe.decode_enriched(quackpipe.encode_enriched(raw, result))
    assert enriched.enrichment == result
    assert engine.partition_revoked(3) == 1
    engine.close()
    with pytest.raises(quackpipe.ClosedError):
        engine.evaluate(event, received)


def test_an_exception_in_a_rule_aborts_the_evaluation():
    engine = quackpipe.FraudEngine()
    calls = []

    def strict(event, verdict):
        calls.append(event.scan_id)
        if event.reward > 1:
            raise ValueError(f"reward {event.reward} too high")
        with pytest.raises(quackpipe.StateError):
            engine.evaluate(event, 0)  # not from inside a rule
        assert engine.counter("evaluated") == 0  # read-only calls are allowed

    engine.add_rule("strict", strict)
    with pytest.raises(ValueError, match="reward 5.0 too high"):
        engine.evaluate(paris_event(reward=5.0), 1767225600000)
    # Nothing changed: no counter, no state.
    assert engine.counter("evaluated") == 0 and engine.counter("devices") == 0
    result = engine.evaluate(paris_event(), 1767225600000)
    assert result.fraud_flags == () and engine.counter("evaluated") == 1
    assert len(calls) == 2
    with pytest.raises(quackpipe.InvalidArgumentError) as info:
        engine.add_rule("strict", strict)  # names are unique
    assert '"strict" exists' in info.value.detail
    engine.close()


def test_engine_defaults_and_bad_input(tmp_path):
    with quackpipe.FraudEngine() as engine:
        with pytest.raises(quackpipe.InputOutputError):
            engine.load_towers(tmp_path / "missing.csv")
        duplicate = json.loads(make_event("phone-d"))
        first = quackpipe.decode(json.dumps(duplicate))
        engine.warm(first, first.ts_ms)
        assert engine.counter("warmed") == 1 and engine.counter("evaluated") == 0
        # The same scan_id again is a duplicate of the warmed one.
        result = engine.evaluate(quackpipe.decode(json.dumps(duplicate)), first.ts_ms + 10)
        assert "duplicate_scan_id" in result.fraud_flags
    with pytest.raises(quackpipe.ConfigError):
        quackpipe.FraudEngine({"qp.fraud.state.max.bytes": 1})


def test_radiomap_learned_exported_and_loaded(tmp_path):
    """Three phones learn the sample's radios where they scan; a phone that
    hears them 1.5 km away is flagged radio_mismatch."""
    with quackpipe.FraudEngine({"qp.fraud.radiomap.learn": True}) as learner:
        for d in range(3):
            for n in range(2):  # a device's first event is never learned from
                ev = quackpipe.decode(make_event(
                    f"phone-r{d}", ts_ms=1767225600000 + n * 60000,
                    gps={"lat": 48.8566 + n * 1e-4, "lon": 2.3522, "accuracy_m": 8}))
                learner.evaluate(ev, ev.ts_ms)
        assert learner.counter("radio_learned") == 4  # 3 WiFi, 1 BLE
        text = learner.radiomap_export()
    assert text.startswith(b"kind,mac,lat,lon,spread_m,devices,mobile\n")
    path = tmp_path / "radiomap.csv"
    path.write_bytes(text)
    with quackpipe.FraudEngine() as engine:
        engine.load_radiomap(path)
        assert engine.counter("radio_stations") == 4
        far = quackpipe.decode(make_event(
            "phone-s", gps={"lat": 48.87, "lon": 2.3522, "accuracy_m": 8}))
        assert "radio_mismatch" in engine.evaluate(far, far.ts_ms).fraud_flags
        with pytest.raises(quackpipe.InputOutputError):
            engine.load_radiomap(tmp_path / "missing.csv")
        assert engine.counter("radio_stations") == 4  # the old map stays
