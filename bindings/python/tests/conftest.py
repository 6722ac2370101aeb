import pathlib

import pytest

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "testdata"


@pytest.fixture
def event_lines():
    """The sample submissions: lines 0 and 3 valid, 1, 2 and 4 refused."""
    return (TESTDATA / "events.jsonl").read_bytes().splitlines()
