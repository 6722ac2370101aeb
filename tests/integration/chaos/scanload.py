#!/usr/bin/env python3
"""An open-loop load of phones against `quackpipe ingest`, for the chaos test
and the soak (Python standard library only).

Batches of scan events are due at a steady rate whatever the answers: a
batch answered 503, 429 or not answered at all (connection refused or reset,
a timeout: ingest killed, Kafka away) is sent again, whole and with the same
scan_ids, after the Retry-After (at least 0.3 s), as a phone would; the
ingest API's idempotency makes that safe, and the table collapses the rare
copy produced twice (a request taken just before its answer was lost).
A batch still refused when the run ends plus --grace seconds is counted
refused: those events were never accepted. A --malformed share of the
requests carries one broken event instead; the API must refuse it (400 or
422, retried like the others while it answers 503) and never take it.

Files written to --out:
  accepted.tsv   scan_id, device_id, reward, epoch ms of the 202 (one line per
                 event of a batch answered 202; a retried batch appears once)
  malformed.tsv  id, the status that refused it ("202" would be a failure)
  refused.tsv    scan_ids of batches never answered 202
  summary.json   counts: requests by status, connection errors, retries, ...
Progress goes to stderr every 10 s.

Usage: scanload.py --url http://127.0.0.1:PORT --key KEY --rate EVENTS_PER_S
       --duration S --out DIR [--devices N] [--batch N] [--malformed SHARE]
       [--seed N] [--workers N] [--grace S] [--tokens]
"""
import argparse
import heapq
import http.client
import json
import math
import os
import random
import sys
import threading
import time
import urllib.parse

PARIS = (48.8566, 2.3522)


class Devices:
    """Phones walking slowly around Paris: each scan a metre or two from the
    last, the same few access points with a fresh reading, the device's
    clock right, so that the fraud rules flag nothing and the rewards of
    at least qp.fraud.alert.reward.min turn into alerts."""

    def __init__(self, n, rng):
        self.rng = rng
        self.dev = []
        for i in range(n):
            lat = PARIS[0] + rng.uniform(-0.03, 0.03)
            lon = PARIS[1] + rng.uniform(-0.05, 0.05)
            aps = ["02:%02x:%02x:%02x:%02x:%02x" % (i >> 8 & 255, i & 255, k, rng.randrange(256),
                                                    rng.randrange(256)) for k in range(3)]
            self.dev.append({"id": "chaos-dev-%05d" % i, "lat": lat, "lon": lon, "aps": aps})

    def event(self, scan_id, reward):
        d = self.dev[self.rng.randrange(len(self.dev))]
        d["lat"] += self.rng.uniform(-1e-5, 1e-5)
        d["lon"] += self.rng.uniform(-1e-5, 1e-5)
        wifi = [{"bssid": ap, "rssi_dbm": self.rng.randint(-90, -40), "freq_mhz": 2437}
                for ap in d["aps"]]
        ev = {"schema_version": 1, "scan_id": scan_id, "device_id": d["id"],
              "ts_ms": int(time.time() * 1000),
              "gps": {"lat": round(d["lat"], 7), "lon": round(d["lon"], 7),
                      "accuracy_m": round(self.rng.uniform(4, 12), 1)},
              "wifi": wifi, "reward": reward, "app_version": "3.1.0", "platform": "android"}
        return d["id"], json.dumps(ev, separators=(",", ":"))


def malformed_body(n, rng):
    """One broken event, the n-th: each kind the API refuses (400 or 422)."""
    sid = "00000000-0000-4bad-8000-%012d" % n
    good = ('{"schema_version":1,"scan_id":"%s","device_id":"chaos-bad-%d","ts_ms":%d,'
            '"gps":{"lat":48.85,"lon":2.35,"accuracy_m":8},"reward":0.25,'
            '"app_version":"3.1.0","platform":"android"}' % (sid, n, int(time.time() * 1000)))
    kind = n % 5
    if kind == 0:
        return sid, good[:len(good) // 2].encode()                       # truncated: 400
    if kind == 1:
        return sid, good.replace('"lat":48.85', '"lat":123.4').encode()  # out of range: 422
    if kind == 2:
        return sid, good.replace("chaos-bad", "chaos-\xff-bad").encode("latin-1")  # bad UTF-8
    if kind == 3:
        return sid, good.replace('"reward":0.25', '"reward":0.25,"reward":1').encode()  # dup key
    return sid, ("not json at all %d" % n).encode()


class Load:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.devices = Devices(a.devices, self.rng)
        u = urllib.parse.urlsplit(a.url)
        self.host, self.port = u.hostname, u.port
        self.auth = {"Authorization": "Bearer " + a.key}
        self.lock = threading.Condition()
        self.heap = []          # (due, seq, job)
        self.seq = 0
        self.done = False
        self.counts = {}
        self.accepted = open(os.path.join(a.out, "accepted.tsv"), "w")
        self.malformed = open(os.path.join(a.out, "malformed.tsv"), "w")
        self.refused = open(os.path.join(a.out, "refused.tsv"), "w")
        self.in_flight = 0
        self.cutoff = None      # after it, a refused batch is given up

    def count(self, what, n=1):
        self.counts[what] = self.counts.get(what, 0) + n

    def push(self, due, job):
        with self.lock:
            self.seq += 1
            heapq.heappush(self.heap, (due, self.seq, job))
            self.lock.notify()

    def request(self, conn, method, path, body, ctype):
        headers = dict(self.auth)
        headers["Content-Type"] = ctype
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.getheader("Retry-After"), r.read()

    def worker(self):
        conn = None
        while True:
            with self.lock:
                while True:
                    if self.heap and self.heap[0][0] <= time.monotonic():
                        _, _, job = heapq.heappop(self.heap)
                        self.in_flight += 1
                        break
                    if self.done and not self.heap:
                        return
                    wait = self.heap[0][0] - time.monotonic() if self.heap else 0.5
                    self.lock.wait(max(0.001, min(wait, 0.5)))
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
                status, retry_after, body = self.request(conn, *job["req"])
            except (OSError, http.client.HTTPException) as e:
                if conn:
                    conn.close()
                conn = None
                status, retry_after, body = None, None, str(e).encode()
            self.settle(job, status, retry_after, body)
            with self.lock:
                self.in_flight -= 1
                self.lock.notify_all()

    def settle(self, job, status, retry_after, body):
        with self.lock:
            self.count("status_%s" % (status or "no_answer"))
            now_ms = int(time.time() * 1000)
            if job["kind"] == "token":
                if status == 202:
                    return
            elif job["kind"] == "events" and status == 202:
                got = json.loads(body).get("scan_ids", [])
                if got != [e[0] for e in job["events"]]:
                    print("scanload: a 202 names other scan_ids than sent: %s" % body[:200],
                          file=sys.stderr)
                    self.count("wrong_202")
                for sid, dev, reward in job["events"]:
                    self.accepted.write("%s\t%s\t%s\t%d\n" % (sid, dev, reward, now_ms))
                self.count("events_accepted", len(job["events"]))
                return
            elif job["kind"] == "malformed" and status not in (None, 429, 503):
                self.malformed.write("%s\t%d\n" % (job["id"], status))
                self.count("malformed_%d" % status)
                return
            elif job["kind"] == "events" and status not in (None, 429, 503):
                # A well-formed batch refused for good: a bug, reported.
                print("scanload: batch refused %s: %s" % (status, body[:300]), file=sys.stderr)
                self.count("events_refused_for_good", len(job["events"]))
                for e in job["events"]:
                    self.refused.write("%s\n" % e[0])
                return
            # 503, 429, no answer: again later, unless the run is over.
            if self.cutoff is not None and time.monotonic() > self.cutoff:
                if job["kind"] == "events":
                    self.count("events_given_up", len(job["events"]))
                    for e in job["events"]:
                        self.refused.write("%s\n" % e[0])
                elif job["kind"] == "malformed":
                    self.malformed.write("%s\tnone\n" % job["id"])
                else:
                    self.count("tokens_given_up")
                return
            self.count("retries")
            try:
                delay = max(0.3, float(retry_after)) if retry_after else 0.3
            except ValueError:
                delay = 1.0
            job["tries"] += 1
            self.push(time.monotonic() + min(delay * 1.5 ** min(job["tries"], 4), 3.0), job)

    def token_jobs(self):
        for i, d in enumerate(self.devices.dev):
            platform = "apns" if i % 2 else "fcm"
            body = json.dumps({"platform": platform, "token": "tok-%s" % d["id"]}).encode()
            yield {"kind": "token", "tries": 0,
                   "req": ("PUT", "/v1/devices/%s/push-token" % d["id"], body, "application/json")}

    def run(self):
        a = self.a
        workers = [threading.Thread(target=self.worker, daemon=True) for _ in range(a.workers)]
        for w in workers:
            w.start()
        if a.tokens:
            now = time.monotonic()
            for job in self.token_jobs():
                self.push(now, job)
        start = time.monotonic()
        interval = a.batch / a.rate
        n_batch = int(a.duration * a.rate / a.batch)
        next_report, serial, bad = start + 10, 0, 0
        malformed_every = int(round(1 / a.malformed)) if a.malformed > 0 else 0
        for b in range(n_batch):
            due = start + b * interval
            while time.monotonic() < due:
                time.sleep(min(due - time.monotonic(), 0.05))
            if malformed_every and b % malformed_every == malformed_every - 1:
                bad += 1
                sid, body = malformed_body(bad, self.rng)
                self.push(due, {"kind": "malformed", "id": sid, "tries": 0,
                                "req": ("POST", "/v1/scans", body, "application/json")})
            events, lines = [], []
            for _ in range(a.batch):
                serial += 1
                sid = "%08x-0000-4000-8000-%012d" % (a.seed & 0xffffffff, serial)
                reward = 6.0 if self.rng.random() < a.alert_share else 0.25
                dev, line = self.devices.event(sid, reward)
                events.append((sid, dev, reward))
                lines.append(line)
            self.push(due, {"kind": "events", "events": events, "tries": 0,
                            "req": ("POST", "/v1/scans", ("\n".join(lines) + "\n").encode(),
                                    "application/x-ndjson")})
            if time.monotonic() >= next_report:
                next_report += 10
                with self.lock:
                    print("scanload: t=%.0fs sent %d events, accepted %d, backlog %d, %s" % (
                        time.monotonic() - start, serial, self.counts.get("events_accepted", 0),
                        len(self.heap) + self.in_flight,
                        " ".join("%s=%d" % kv for kv in sorted(self.counts.items())
                                 if kv[0].startswith("status_"))), file=sys.stderr, flush=True)
        with self.lock:
            self.cutoff = time.monotonic() + a.grace
            self.done = True
            self.lock.notify_all()
        for w in workers:
            w.join()
        for f in (self.accepted, self.malformed, self.refused):
            f.close()
        self.counts.update(events_sent=serial, malformed_sent=bad,
                           elapsed_s=round(time.monotonic() - start, 1))
        with open(os.path.join(a.out, "summary.json"), "w") as f:
            json.dump(self.counts, f, sort_keys=True)
        print("scanload: done: " + json.dumps(self.counts, sort_keys=True), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--rate", type=float, required=True, help="events per second")
    p.add_argument("--duration", type=float, required=True, help="seconds of load")
    p.add_argument("--out", required=True)
    p.add_argument("--devices", type=int, default=500)
    p.add_argument("--batch", type=int, default=10, help="events per request")
    p.add_argument("--malformed", type=float, default=0.02, help="share of requests, 0..1")
    p.add_argument("--alert-share", type=float, default=0.1, help="share of events with reward 6")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--grace", type=float, default=30, help="s after the run to retry refusals")
    p.add_argument("--tokens", action="store_true", help="register a push token per device first")
    a = p.parse_args()
    if a.rate <= 0 or a.batch <= 0 or not 0 <= a.malformed <= 1 or math.isnan(a.rate):
        p.error("rate and batch must be > 0, malformed in 0..1")
    os.makedirs(a.out, exist_ok=True)
    Load(a).run()


if __name__ == "__main__":
    main()
