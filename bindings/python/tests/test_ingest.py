"""The ingest API handler from Python, on the mock cluster; and the example
server examples/python/ingest_server.py driven over real HTTP."""

import json
import os
import pathlib
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

import quackpipe
from conftest import make_event

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def ingest(mock, unique):
    topic = unique("py-ingest")
    mock.create_topic(topic, 2)
    with quackpipe.Ingest({"bootstrap.servers": mock.bootstrap, "qp.ingest.auth": "open",
                           "qp.topic.events": topic}) as ing:
        yield ing


def test_an_event_is_accepted_then_recognised(ingest):
    event = make_event()
    first = ingest.handle("POST", "/v1/scans", JSON, event)
    assert first.status == 202
    assert ("Content-Type", "application/json") in first.headers
    assert json.loads(first.body)["accepted"] == 1
    again = ingest.handle("POST", "/v1/scans", "Content-Type: application/json\r\n", event)
    assert json.loads(again.body) == {"accepted": 0, "duplicates": 1,
                                      "scan_ids": [json.loads(event)["scan_id"]]}
    ingest.flush(10000)
    stats = ingest.stats()
    assert (stats.accepted, stats.duplicates, stats.delivered) == (1, 1, 1)


def test_a_refused_batch_names_the_field(ingest):
    bad = json.loads(make_event())
    bad["gps"]["lat"] = 123.4
    body = b"\n".join([make_event(), json.dumps(bad).encode()])
    resp = ingest.handle("POST", "/v1/scans", {"Content-Type": "application/x-ndjson"}, body)
    assert resp.status == 422
    problem = json.loads(resp.body)
    assert problem["errors"][0]["index"] == 1
    assert problem["errors"][0]["pointer"] == "/gps/lat"
    assert ingest.stats().accepted == 0


def test_check_decides_from_the_head(ingest):
    assert ingest.check("POST", "/v1/scans", JSON, 100) is None
    assert ingest.check("POST", "/v1/scans", JSON, 1 << 30).status == 413
    assert ingest.check("POST", "/v1/scans", {"Content-Type": "text/csv"}).status == 415


def test_keys_are_required_unless_open(mock):
    with pytest.raises(quackpipe.ConfigError):
        quackpipe.Ingest({"bootstrap.servers": mock.bootstrap})


EXAMPLE = pathlib.Path(__file__).resolve().parents[3] / "examples" / "python" / "ingest_server.py"


def test_example_server_answers_over_http(tmp_path):
    """The example serves until stdin closes; it prints its port first."""
    proc = subprocess.Popen([sys.executable, str(EXAMPLE), "--mock", "--port", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=os.environ)
    try:
        port = int(proc.stdout.readline().split()[-1])
        url = f"http://127.0.0.1:{port}/v1/scans"
        request = urllib.request.Request(url, data=make_event(), headers=JSON, method="POST")
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 202
            assert json.loads(resp.read())["accepted"] == 1
        request = urllib.request.Request(url, data=b"{", headers=JSON, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 400
        assert refused.value.headers["Content-Type"] == "application/problem+json"
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
