#!/usr/bin/env python3
"""The chaos test's accounting (tests/integration/chaos/chaos.sh): reads what
the run left in DIR and prints, then checks,

- ClickHouse: every scan_id answered 202 is in the table exactly once after
  FINAL; none is missing (the missing ones are named, grouped by the ingest
  SIGKILL they were answered before, with what ingest had not had
  acknowledged by Kafka then);
- the API: every malformed request was refused (400 or 422), never 202;
- the dead-letter topic: every record injected malformed into scan-events is
  there with its original bytes, from exactly one source record (topic,
  partition, offset: the identity docs/dlq.md gives a dead letter); copies of
  one source record written again after a SIGKILL of fraud-svc
  (at-least-once, docs/dlq.md) are counted and shown;
- alerts: every alert in scan-alerts was pushed; a scan_id pushed more than
  once only within the window of docs/alerts.md (at most
  qp.alerts.inflight.max per SIGKILL of alert-svc), each copy with the
  scan_id as its collapse id;
- memory: every process's peak RSS (VmHWM) below its bound.

Usage: check.py DIR INFLIGHT_MAX BOUND_SPEC [--ingest-window]
       (BOUND_SPEC: name=MiB,...; --ingest-window: see "Lost events" below)
Exit 0 when everything holds, 1 otherwise (the reasons on stderr).
"""
import collections
import json
import os
import sys


def lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def main():
    args = [a for a in sys.argv[1:] if a != "--ingest-window"]
    ingest_window = "--ingest-window" in sys.argv
    d, inflight, bound_spec = args[0], int(args[1]), args[2]
    bounds = {k: int(v) for k, v in (x.split("=") for x in bound_spec.split(","))}
    problems, report = [], []

    # ---- the run's faults ----
    events = [l.split(" ", 3) for l in lines(os.path.join(d, "events.log"))]
    kills = collections.defaultdict(list)  # service -> [epoch ms]
    faults = collections.Counter()
    for e in events:
        ms, what = int(e[0]), e[2]
        if what == "kill":
            kills[e[3].split()[0]].append(ms)
            faults["SIGKILL " + e[3].split()[0]] += 1
        elif what in ("broker-stop", "clickhouse-stop", "inject"):
            faults[what] += 1
        elif what == "exit":
            report.append("exited by itself (restarted by the supervisor): " + e[3])
    report.append("faults: " + ", ".join("%s x%d" % kv for kv in sorted(faults.items())))

    # ---- ClickHouse: every 202 once ----
    accepted = {}
    for l in lines(os.path.join(d, "load", "accepted.tsv")):
        sid, dev, reward, ms = l.split("\t")
        if sid in accepted:
            problems.append("scan_id %s answered 202 twice by the client's count" % sid)
        accepted[sid] = (dev, float(reward), int(ms))
    final = {}
    for l in lines(os.path.join(d, "final.tsv")):
        sid, n = l.split("\t")
        final[sid] = int(n)
    raw_rows = int(open(os.path.join(d, "rows.txt")).read().strip() or 0)
    missing = sorted(s for s in accepted if s not in final)
    twice = sorted(s for s in final if final[s] > 1)
    extra = sorted(s for s in final if s not in accepted)
    refused = set(lines(os.path.join(d, "load", "refused.tsv")))
    report.append("ClickHouse: %d scan_ids answered 202, %d in the table after FINAL "
                  "(%d rows without FINAL), %d missing, %d more than once, %d never answered 202"
                  % (len(accepted), len(final), raw_rows, len(missing), len(twice), len(extra)))
    # Lost events, grouped by the ingest SIGKILL they were answered before:
    # an event answered 202 and not yet acknowledged by Kafka is in the
    # producer's memory, which dies with the process, and in ingest's
    # journal, from which the next ingest produces it (docs/ingest.md), so
    # none should be. With
    # --ingest-window such losses pass when they are no more than ingest's
    # own count of unacknowledged events just before the kill (its /metrics:
    # accepted - delivered) plus the 202s answered between that reading and
    # the kill; without it (the default) any loss fails.
    ingest_kills = sorted(kills.get("ingest", []))
    unacked = {}  # kill index -> (ms of the reading, count)
    for e in events:
        if e[2] == "unacked":
            ms = int(e[0])
            after = [k for k in ingest_kills if k >= ms]
            if after:
                unacked[ingest_kills.index(after[0])] = (ms, int(e[3].split()[1]))
    outages = [(int(e[0]), e[2]) for e in events if e[2].startswith(("broker-", "clickhouse-"))]
    groups = collections.defaultdict(list)
    for sid in missing:
        ms = accepted[sid][2]
        after = [i for i, k in enumerate(ingest_kills) if k + 200 >= ms]
        groups[after[0] if after else None].append(sid)
    for k, sids in sorted(groups.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
        first, last = min(accepted[s][2] for s in sids), max(accepted[s][2] for s in sids)
        state = [w for t, w in outages if t <= last]
        state = state[-1] if state else "none"
        eg = ", ".join(sids[:5])
        if k is None:
            problems.append("lost: %d scan_ids answered 202 by the ingest process stopped with "
                            "SIGTERM at the end (it exited 0: delivered); e.g. %s" % (len(sids), eg))
            continue
        kill_ms = ingest_kills[k]
        read_ms, count = unacked.get(k, (kill_ms, -1))
        slack = sum(1 for a in accepted.values() if read_ms - 50 <= a[2] <= kill_ms + 200)
        line = ("%d scan_ids answered 202 %.1f-%.1f s before ingest's SIGKILL #%d, not yet "
                "acknowledged by Kafka (ingest counted %s unacknowledged %d ms before the kill, "
                "%d more 202s came meanwhile); last outage step before them: %s; e.g. %s"
                % (len(sids), (kill_ms - last) / 1000, (kill_ms - first) / 1000, k + 1,
                   count if count >= 0 else "?", kill_ms - read_ms, slack, state, eg))
        if ingest_window and 0 <= len(sids) <= count + slack:
            report.append("in the window of an asynchronous producer (--ingest-window): " + line)
        else:
            problems.append("lost: " + line)
    for sid in twice[:20]:
        problems.append("duplicated: %s is %d times in the table after FINAL" % (sid, final[sid]))
    for sid in extra:
        if sid not in refused and not sid.startswith("00000000-0000-4bad"):
            problems.append("in ClickHouse but never sent: %s" % sid)
        elif sid.startswith("00000000-0000-4bad"):
            problems.append("a malformed event reached ClickHouse: %s" % sid)
    if extra:
        report.append("%d scan_ids the client gave up on (never 202) reached the table anyway: "
                      "produced by an ingest killed before its answer" % len(extra))

    # ---- the API refused every malformed request ----
    statuses = collections.Counter()
    for l in lines(os.path.join(d, "load", "malformed.tsv")):
        sid, status = l.split("\t")
        statuses[status] += 1
        if status not in ("400", "422", "none"):
            problems.append("malformed request %s answered %s, want 400 or 422" % (sid, status))
    report.append("malformed requests: %s" % dict(statuses))

    # ---- the dead-letter topic ----
    injected = {}
    for l in lines(os.path.join(d, "bad.tsv")):
        key, value = l.split("\t", 1)
        injected[value] = key
    sources = collections.defaultdict(collections.Counter)  # value -> source id -> copies
    for l in lines(os.path.join(d, "dlq.json")):
        r = json.loads(l)
        value = r.get("value")
        if value not in injected:
            problems.append("dead letter not injected: %s" % l[:300])
            continue
        if r["key"] != injected[value]:
            problems.append("dead letter %s: key %r, want %r" % (r["offset"], r["key"], injected[value]))
        sources[value][(r["source_topic"], r["source_partition"], r["source_offset"])] += 1
    copies = 0
    for value, key in injected.items():
        ids = sources.get(value)
        if not ids:
            problems.append("not dead-lettered: injected record %s: %s" % (key, value[:80]))
        elif len(ids) > 1:
            problems.append("dead-lettered from %d source records (injected once): %s %s"
                            % (len(ids), key, sorted(ids)))
        else:
            copies += sum(ids.values()) - 1
    report.append("dead letters: %d injected, %d in the DLQ by source record, %d written again "
                  "for a source record already there (fraud-svc SIGKILLed between the dead-letter "
                  "write and its commit: at-least-once, docs/dlq.md)"
                  % (len(injected), sum(1 for v in injected if v in sources), copies))

    # ---- alerts ----
    alerts = collections.Counter()
    for l in lines(os.path.join(d, "alerts.json")):
        r = json.loads(l)
        alerts[json.loads(r["value"])["scan_id"]] += 1
    stats = json.load(open(os.path.join(d, "pushes.json")))
    pushed = collections.Counter()
    collapse_wrong = []
    for provider, ids in stats["accepted"].items():
        for sid, n in ids.items():
            pushed[sid] += n
            c = stats.get("collapse", {}).get(provider, {}).get(sid)
            if provider != "webhook" and c is not None and c != sid:
                collapse_wrong.append(sid)
    for sid in alerts:
        if sid not in accepted or accepted[sid][1] < 5:
            problems.append("alert for %s, which was not a 202'd event with reward >= 5" % sid)
        if pushed[sid] == 0:
            problems.append("alert not pushed: %s" % sid)
    for sid in pushed:
        if sid not in alerts:
            problems.append("pushed but not an alert: %s" % sid)
    dup = sum(n - 1 for n in pushed.values() if n > 1)
    allowed = inflight * len(kills.get("alerts", []))
    report.append("alerts: %d in scan-alerts (%d records), %d scan_ids pushed, %d pushes again "
                  "(allowed: %d = qp.alerts.inflight.max %d x %d SIGKILLs of alert-svc)"
                  % (len(alerts), sum(alerts.values()), len(pushed), dup, allowed, inflight,
                     len(kills.get("alerts", []))))
    if dup > allowed:
        problems.append("%d pushes again, beyond the window of %d" % (dup, allowed))
    for sid in collapse_wrong:
        problems.append("push of %s with a collapse id other than its scan_id" % sid)

    # ---- memory ----
    peak = {}
    for l in lines(os.path.join(d, "rss.tsv")):
        t, name, pid, rss, hwm = l.split()
        peak[name] = max(peak.get(name, (0, 0)), (int(hwm), int(pid)))
    for name, bound in sorted(bounds.items()):
        if name not in peak:
            problems.append("no memory sample of %s" % name)
            continue
        hwm, pid = peak[name]
        report.append("memory: %s peak RSS %.1f MiB (pid %d), bound %d MiB"
                      % (name, hwm / 1024, pid, bound))
        if hwm > bound * 1024:
            problems.append("%s's peak RSS %.1f MiB is above its bound of %d MiB"
                            % (name, hwm / 1024, bound))

    print("\n".join("chaos: " + r for r in report))
    if problems:
        print("\n".join("FAIL: " + p for p in problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
