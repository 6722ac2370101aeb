"""examples/python/validate_events.py runs against the binding."""

import os
import pathlib
import subprocess
import sys

import quackpipe
from conftest import TESTDATA

EXAMPLE = pathlib.Path(__file__).resolve().parents[3] / "examples" / "python" / "validate_events.py"


def test_validate_example_reports_refused_lines():
    run = subprocess.run([sys.executable, str(EXAMPLE), str(TESTDATA / "events.jsonl")],
                         capture_output=True, text=True, env=os.environ, check=False)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "line 2: gps.lat: 123.4 is outside [-90, 90] [QP_ERR_FIELD_RANGE]"
    assert lines[1].startswith("line 3: wifi[2].rssi_dbm: ")
    assert lines[2].startswith("line 5: offset ")
    assert lines[-1] == "2 valid, 3 refused"


def test_validate_example_reads_stdin():
    valid = (TESTDATA / "events.jsonl").read_bytes().splitlines()[0] + b"\n"
    run = subprocess.run([sys.executable, str(EXAMPLE), "-"], input=valid,
                         capture_output=True, check=False)
    assert run.returncode == 0 and run.stdout == b"1 valid, 0 refused\n"


CONSUMER = EXAMPLE.parent / "consume_events.py"
SAMPLE = EXAMPLE.parents[1] / "events.ndjson"


def test_consume_example_prints_the_valid_events_of_the_sample():
    lines = [line for line in SAMPLE.read_bytes().splitlines() if line.strip()]
    valid = []
    for line in lines:
        try:
            valid.append(quackpipe.decode(line))
        except quackpipe.ValidationError:
            pass
    run = subprocess.run([sys.executable, str(CONSUMER), "--mock"], capture_output=True,
                         text=True, env=os.environ, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    out = run.stdout.splitlines()
    assert len(out) == len(valid) + 1
    for offset, (line, ev) in enumerate(zip(out, valid)):
        assert line.startswith(f"scan-events[0]@{offset} {ev.device_id} {ev.scan_id} ")
    assert out[-1] == (f"{len(valid)} events; consumed {len(lines)}, "
                       f"{len(lines) - len(valid)} sent to the dead-letter topic")
