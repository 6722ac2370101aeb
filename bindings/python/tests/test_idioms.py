"""Python idioms over the handles: a topic given as a string, iteration
over a runner, ``closed``, TypeError for wrong argument types, dir()."""

import inspect
import pathlib
import threading
import typing

import pytest

import quackpipe
from quackpipe import MessageKind
from conftest import make_event, runner_conf
from test_kafka import wait_in_flight


def test_runner_takes_one_topic_as_a_string_and_iterates(mock, unique):
    topic = unique("iter")
    mock.create_topic(topic, 1)
    events = [make_event("dev-it") for _ in range(3)]
    with quackpipe.Producer({"bootstrap.servers": mock.bootstrap}) as p:
        for event in events:
            p.publish(event, key="dev-it", topic=topic)
        p.flush(10000)

    # A str is one topic, not one subscription per character.
    runner = quackpipe.Runner(runner_conf(mock, unique("g")), topic)
    got = []
    try:
        for msg in runner:
            if msg.kind == MessageKind.EVENT:
                assert msg.topic == topic
                got.append(msg.value)
            runner.ack(msg)
            if len(got) == len(events):
                break
        assert got == events

        # wakeup() from another thread ends the loop instead of raising.
        done = []
        t = threading.Thread(target=lambda: done.append(list(runner)))
        t.start()
        wait_in_flight(runner, t)
        runner.wakeup()
        t.join(10)
        assert not t.is_alive() and done == [[]]
    finally:
        runner.close()
    assert runner.closed
    assert list(runner) == []  # a closed runner yields nothing


def test_every_handle_has_closed(mock):
    conf = quackpipe.Conf({"bootstrap.servers": mock.bootstrap})
    assert not conf.closed
    producer = quackpipe.Producer(conf)  # takes the conf over
    assert conf.closed and not producer.closed
    producer.close()
    assert producer.closed

    ev = quackpipe.decode(make_event())
    assert not ev.closed
    ev.close()
    assert ev.closed

    handles = [quackpipe.Admin({"bootstrap.servers": mock.bootstrap}),
               quackpipe.FraudEngine(),
               quackpipe.Inserter({"qp.inserter.backend": "http",
                                   "qp.inserter.url": "http://127.0.0.1:9"})]
    for h in handles:
        assert not h.closed
        h.close()
        assert h.closed
    assert not mock.closed


@pytest.mark.parametrize("call", [
    lambda mock: quackpipe.decode(123),
    lambda mock: quackpipe.Conf(5),
    lambda mock: quackpipe.Conf({"qp.log.level": object()}),
    lambda mock: quackpipe.Producer("bootstrap.servers=x"),
    lambda mock: quackpipe.Runner(runner_conf(mock, "g-types"), 5),
    lambda mock: quackpipe.Runner(runner_conf(mock, "g-types"), ["t", 5]),
])
def test_wrong_argument_types_raise_type_error(mock, call):
    with pytest.raises(TypeError):
        call(mock)


def test_event_fields_are_listed_by_dir():
    ev = quackpipe.decode(make_event())
    names = dir(ev)
    for field in ("scan_id", "device_id", "ts_ms", "reward", "platform", "gps", "wifi"):
        assert field in names
    assert ev.device_id == "dev-0042"


def test_type_hints_resolve_and_are_shipped():
    """Every public function and property has hints that resolve (an editor
    or type checker can read them), and py.typed marks the package typed."""
    checked = 0
    for name in quackpipe.__all__:
        obj = getattr(quackpipe, name)
        if inspect.isfunction(obj):
            funcs = [obj]
        elif inspect.isclass(obj) and not issubclass(obj, BaseException):
            funcs = [f for n, f in inspect.getmembers(obj, inspect.isfunction)
                     if not n.startswith("_") or n in ("__init__", "__iter__")]
            funcs += [p.fget for _, p in inspect.getmembers(obj, lambda m: isinstance(m, property))]
        else:
            continue
        for f in funcs:
            if f.__module__.startswith("quackpipe") and f.__module__ != "quackpipe.capi":
                hints = typing.get_type_hints(f)
                assert "return" in hints, f"{obj.__name__}.{f.__name__} has no return type"
                checked += 1
    assert checked > 50
    assert (pathlib.Path(quackpipe.__file__).parent / "py.typed").exists()
