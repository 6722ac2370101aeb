"""examples/python/validate_events.py runs against the binding."""

import os
import pathlib
import subprocess
import sys

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
