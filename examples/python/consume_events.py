#!/usr/bin/env python3
"""Reads scan events with the consumer-group runner and prints them.

    python3 consume_events.py --bootstrap 127.0.0.1:9092 [--group G] [--topic T]
    python3 consume_events.py --mock

With --mock it starts the embedded Kafka cluster, publishes
examples/events.ndjson to it and stops once every record was consumed; the
lines that fail to decode never reach this program: the runner sends them to
the dead-letter topic. Otherwise it runs until Ctrl-C or SIGTERM. Each event
is acked once printed. Needs the quackpipe package on PYTHONPATH
(docs/bindings.md).
"""

import argparse
import pathlib
import signal
import sys

import quackpipe

SAMPLE = pathlib.Path(__file__).resolve().parents[1] / "events.ndjson"


def describe(msg):
    ev = msg.event
    return (f"{msg.topic}[{msg.partition}]@{msg.offset} {ev.device_id} {ev.scan_id} "
            f"gps={ev.gps.lat:.5f},{ev.gps.lon:.5f} wifi={len(ev.wifi)} "
            f"cell={len(ev.cell)} ble={len(ev.ble)} reward={ev.reward:g}")


def publish_sample(bootstrap, topic):
    """The sample file, one record per line keyed by nothing; returns the count."""
    lines = [line for line in SAMPLE.read_bytes().splitlines() if line.strip()]
    with quackpipe.Producer({"bootstrap.servers": bootstrap}) as producer:
        for line in lines:
            producer.publish(line, topic=topic)
        producer.flush(10000)
    return len(lines)


def consume(runner, out, expected=None):
    """Prints and acks events until woken up, or until `expected` records
    were consumed; returns the runner's final stats."""
    printed = 0
    while True:
        try:
            msg = runner.next(500)
        except quackpipe.WakeupError:
            break
        if msg is not None:
            if msg.kind == quackpipe.MessageKind.EVENT:
                out.write(describe(msg) + "\n")
                printed += 1
            runner.ack(msg)  # also releases rebalance notices
        stats = runner.stats()
        if expected is not None and stats.consumed >= expected and stats.held == 0:
            break
    out.write(f"{printed} events; consumed {stats.consumed}, "
              f"{stats.decode_failed} sent to the dead-letter topic\n")
    return stats


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="bootstrap.servers of the cluster")
    parser.add_argument("--mock", action="store_true",
                        help="use the embedded mock cluster, fed with events.ndjson")
    parser.add_argument("--group", default="consume-events-example")
    parser.add_argument("--topic", default="scan-events")
    args = parser.parse_args(argv[1:])
    if bool(args.mock) == bool(args.bootstrap):
        parser.error("give exactly one of --mock and --bootstrap")

    mock = quackpipe.MockCluster() if args.mock else None
    try:
        bootstrap = mock.bootstrap if mock else args.bootstrap
        expected = None
        if mock:
            mock.create_topic(args.topic, 1)
            expected = publish_sample(bootstrap, args.topic)
        conf = quackpipe.Conf({"bootstrap.servers": bootstrap, "group.id": args.group,
                               "auto.offset.reset": "earliest"})
        with quackpipe.Runner(conf, [args.topic]) as runner:
            # The handlers run between two next() calls (next() waits at most
            # 500 ms), and make the next one return WakeupError.
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: runner.wakeup())
            consume(runner, sys.stdout, expected)
    finally:
        if mock:
            mock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
