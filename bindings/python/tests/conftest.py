import itertools
import json
import pathlib

import pytest

import quackpipe

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "testdata"
RESOURCES = pathlib.Path(__file__).resolve().parents[3] / "tests" / "resources"


@pytest.fixture
def event_lines():
    """The sample submissions: lines 0 and 3 valid, 1, 2 and 4 refused."""
    return (TESTDATA / "events.jsonl").read_bytes().splitlines()


_serial = itertools.count(1)


def make_event(device="dev-0042", n=None, **fields):
    """A valid raw event (bytes) with a fresh scan_id, from the first sample."""
    n = next(_serial) if n is None else n
    event = json.loads((TESTDATA / "events.jsonl").read_bytes().splitlines()[0])
    event.update(device_id=device, scan_id=f"6f1c2a4e-0000-4000-8000-{n:012x}", **fields)
    return json.dumps(event, separators=(",", ":")).encode()


@pytest.fixture(scope="session")
def mock():
    """One embedded Kafka cluster for the session; tests use their own topics."""
    with quackpipe.MockCluster() as cluster:
        yield cluster


_names = itertools.count(1)


@pytest.fixture
def unique():
    """unique(prefix) -> a topic or group name no other test uses."""
    return lambda prefix: f"{prefix}-{next(_names)}"


def runner_conf(mock, group, **props):
    """A runner's configuration on the mock cluster, reading from the start."""
    return quackpipe.Conf({"bootstrap.servers": mock.bootstrap, "group.id": group,
                           "auto.offset.reset": "earliest",
                           "session.timeout.ms": 6000, "heartbeat.interval.ms": 500},
                          **props)
