#!/usr/bin/env python3
"""Checks contrib/grafana/quackpipe.json against what the services export
(ctest: dashboard_metrics):

- every metric a Prometheus query of the dashboard names is one the
  services export: a "quackpipe_*" name written as a string literal in the
  C sources under src/ (the services' metric tables, e.g. src/services/
  service.c), or one Prometheus makes itself (up);
- every ClickHouse query reads quackpipe.scan_events and names only its
  columns (docs/sql/scan_events.sql);
- each target of contrib/prometheus/prometheus.yml is the QP_METRICS_PORT
  of a contrib/systemd/env file, and each such port is scraped.

--self-test first plants an unknown metric and an unknown column and fails
if either goes unnoticed.
    dashboard.py <source dir> [--self-test]
"""

import json
import pathlib
import re
import sys

PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
                "and", "or", "unless", "offset", "inf", "nan"}
SQL_WORDS = {
    "select", "from", "where", "group", "by", "order", "as", "and", "or", "not", "desc",
    "asc", "limit", "having", "in", "is", "null", "quackpipe", "scan_events", "time",
}


def exported_metrics(src):
    names = set()
    for path in (src / "src").rglob("*.c"):
        names.update(re.findall(r'"(quackpipe_[a-z0-9_]+)"', path.read_text()))
    return names


def table_columns(src):
    sql = (src / "docs/sql/scan_events.sql").read_text()
    body = sql[sql.index("CREATE TABLE"):]
    body = body[body.index("(") + 1:body.index("ENGINE")]
    return set(re.findall(r"^\s+([a-z_][a-z0-9_]*)\s", body, re.M))


def promql_metrics(expr):
    """The metric names of a PromQL expression."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)        # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)                   # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)                  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        rest = expr[m.end():].lstrip()
        if rest.startswith("(") or m.group(0) in PROMQL_WORDS:
            continue  # a function or an operator word
        names.add(m.group(0))
    return names


def sql_identifiers(query):
    """The lower-case identifiers of a query that are not calls, aliases or macros."""
    query = re.sub(r"'[^']*'", "''", query)
    query = re.sub(r"\$__\w+\([^)]*\)", "", query)          # Grafana macros
    aliases = set(re.findall(r"\bAS\s+(\w+)", query, flags=re.I))
    query = re.sub(r"\bAS\s+\w+", "", query, flags=re.I)
    found = set()
    for m in re.finditer(r"\b[A-Za-z_][A-Za-z0-9_]*\b", query):
        word = m.group(0)
        rest = query[m.end():].lstrip()
        if (rest.startswith("(") or word.lower() in SQL_WORDS or not word.islower()
                or word in aliases):
            continue  # a function, a keyword, a function's camelCase name, an alias
        found.add(word)
    return found


def targets(dashboard):
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target


def check(dashboard, exported, columns, scrape_text, env_ports):
    problems = []
    n_prom = n_sql = 0
    for title, target in targets(dashboard):
        if "expr" in target:
            n_prom += 1
            for name in sorted(promql_metrics(target["expr"]) - exported - PROMETHEUS_OWN):
                problems.append(f"panel '{title}': {name} is not a metric the services export")
        if "rawSql" in target:
            n_sql += 1
            if "quackpipe.scan_events" not in target["rawSql"]:
                problems.append(f"panel '{title}': the query does not read quackpipe.scan_events")
            for name in sorted(sql_identifiers(target["rawSql"]) - columns):
                problems.append(f"panel '{title}': {name} is not a column of scan_events")
    if n_prom == 0 or n_sql == 0:
        problems.append(f"expected Prometheus and ClickHouse queries, found {n_prom} and {n_sql}")
    scraped = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", scrape_text)}
    for port in sorted(scraped - set(env_ports.values())):
        problems.append(f"prometheus.yml scrapes port {port}, which no service's env file sets")
    for unit, port in sorted(env_ports.items()):
        if port not in scraped:
            problems.append(f"prometheus.yml does not scrape {unit} (QP_METRICS_PORT={port})")
    return problems, n_prom, n_sql


def main():
    src = pathlib.Path(sys.argv[1])
    dashboard = json.loads((src / "contrib/grafana/quackpipe.json").read_text())
    exported = exported_metrics(src)
    columns = table_columns(src)
    scrape_text = (src / "contrib/prometheus/prometheus.yml").read_text()
    env_ports = {}
    for env in (src / "contrib/systemd/env").glob("*.env"):
        m = re.search(r"^QP_METRICS_PORT=(\d+)", env.read_text(), re.M)
        if m:
            env_ports[env.stem] = int(m.group(1))
    if not exported or not columns:
        sys.exit(f"dashboard_metrics: found no exported metrics ({len(exported)}) or "
                 f"no scan_events columns ({len(columns)}): the sources moved?")

    if "--self-test" in sys.argv:
        planted = json.loads(json.dumps(dashboard))
        planted["panels"].append({"title": "planted", "targets": [
            {"expr": 'sum by (service) (rate(quackpipe_no_such_metric_total{job="q"}[5m]))'},
            {"rawSql": "SELECT count() FROM quackpipe.scan_events WHERE no_such_column > 0"}]})
        found, _, _ = check(planted, exported, columns, scrape_text, env_ports)
        text = "\n".join(found)
        if "quackpipe_no_such_metric_total" not in text or "no_such_column" not in text:
            sys.exit(f"dashboard_metrics: self-test: a planted problem went unnoticed:\n{text}")

    problems, n_prom, n_sql = check(dashboard, exported, columns, scrape_text, env_ports)
    if problems:
        sys.exit("dashboard_metrics:\n  " + "\n  ".join(problems))
    print(f"dashboard_metrics: {n_prom} Prometheus queries over {len(exported)} exported "
          f"metrics, {n_sql} ClickHouse queries over {len(columns)} columns, "
          f"{len(env_ports)} scrape targets: ok")


if __name__ == "__main__":
    main()
