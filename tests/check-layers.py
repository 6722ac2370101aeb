#!/usr/bin/env python3
"""The layers of docs/architecture.md, checked on every file under src/.

Fails, naming the file, the line and the rule, when:
  1. a quoted include does not name its folder ("kafka/kafka_int.h", not
     "kafka_int.h"), so that every include line shows its layer;
  2. a file includes a folder of a layer above its own, or a sibling folder
     of its own layer (transports do not know each other);
  3. a file includes a third-party header its folder may not use: the model,
     the engines and the base never reach librdkafka, libcurl or libchdb, so
     they run offline, in unit tests without any service, and unchanged
     behind the bindings;
  4. a file of the services, the simulator or the command calls librdkafka,
     libcurl or libchdb itself instead of going through a transport.
Usage: check-layers.py SRC_DIR [--self-test]
"""
import pathlib
import re
import sys

# folder -> rank; a file may include folders of a lower rank, and its own.
LAYERS = {
    "base": 0,
    "model": 1,
    "engine": 2,
    "net": 2.5,  # what the transports share (libcurl's global init), below them
    "kafka": 3, "clickhouse": 3, "http": 3, "push": 3,  # transports
    "services": 4, "sim": 4,
    "cli": 5,  # programs
}

# third-party header prefix -> folders that may include it. libc and the
# compiler's headers (<stdio.h>, <pthread.h>, <emmintrin.h>, ...) are free.
THIRD_PARTY = {
    "librdkafka/": {"kafka"},
    # libcurl: ClickHouse over HTTP, the push providers, and the programs'
    # HTTP client beside their server in http/ (the demo's phones)
    "curl/": {"net", "clickhouse", "push", "http"},
    "dlfcn.h": {"clickhouse"},  # libchdb is loaded at run time
    "microhttpd.h": {"http"},
    "openssl/": {"base", "push"},  # hashing/HMAC in base; JWT signing in push
    "zlib.h": {"base", "clickhouse"},
    "cjson/": {"model", "engine", "services", "push", "cli"},
}
LIBC_LIKE = re.compile(r"^(std\w*|string|strings|stdio|stdlib|errno|math|limits|time|"
                       r"inttypes|assert|signal|unistd|ctype|fcntl|float|locale|poll|"
                       r"pthread|stdatomic|getopt|dirent|ftw|netdb|search|\w+intrin|"
                       r"(sys|arpa|netinet)/\w+)\.h$")
# Calls that belong to the transports only.
TRANSPORT_CALL = re.compile(r"\b(rd_kafka_\w+|curl_\w+|chdb_\w+)\s*\(")
NO_TRANSPORT_CALLS = {"services", "sim", "cli"}
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')


def folder_of(src, path):
    """The layer folder of a file: kafka/runner/x.c belongs to kafka."""
    return path.relative_to(src).parts[0]


def check_file(src, path):
    folder = folder_of(src, path)
    rank = LAYERS.get(folder)
    if rank is None:
        return [f"{path}: folder src/{folder}/ is not a layer of docs/architecture.md"]
    problems = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for lineno, line in enumerate(text.splitlines(), 1):
        where = f"{path.relative_to(src.parent)}:{lineno}"
        m = INCLUDE.match(line)
        if m and m.group(1) == '"':
            name = m.group(2)
            if name == "quackpipe.h" or name.startswith("quackpipe/"):
                continue
            target = name.split("/")[0]
            if "/" not in name or target not in LAYERS:
                problems.append(f'{where}: include "{name}" does not name its layer folder')
            elif LAYERS[target] > rank:
                problems.append(f'{where}: {folder} (rank {rank}) includes "{name}" '
                                f"from {target}, a layer above it")
            elif LAYERS[target] == rank and target != folder:
                problems.append(f'{where}: {folder} includes "{name}" from its sibling '
                                f"{target}: same-layer folders do not know each other")
        elif m:
            name = m.group(2)
            if LIBC_LIKE.match(name):
                continue
            allowed = next((folders for prefix, folders in THIRD_PARTY.items()
                            if name.startswith(prefix)), None)
            if allowed is None:
                problems.append(f"{where}: <{name}> is not a known dependency "
                                f"(add it to THIRD_PARTY in tests/check-layers.py, on purpose)")
            elif folder not in allowed:
                problems.append(f"{where}: {folder} may not include <{name}> "
                                f"(only {', '.join(sorted(allowed))})")
        if folder in NO_TRANSPORT_CALLS and path.suffix == ".c":
            code = line.split("//")[0]
            call = TRANSPORT_CALL.search(code)
            if call and not code.lstrip().startswith("*"):
                problems.append(f"{where}: {folder} calls {call.group(1)}() itself; "
                                f"that belongs to a transport")
    return problems


def check_tree(src):
    problems = []
    for path in sorted(src.rglob("*")):
        if path.suffix in (".c", ".h"):
            problems += check_file(src, path)
    return problems


def self_test(src):
    """Each rule fails on a deliberate violation planted in a scratch tree."""
    import shutil
    import tempfile
    cases = {
        "model/bad_bare.c": '#include "buf_int.h"\n',
        "engine/bad_up.c": '#include "kafka/kafka_int.h"\n',
        "kafka/bad_sibling.c": '#include "clickhouse/ch_int.h"\n',
        "net/bad_up.c": '#include "push/push_int.h"\n',
        "model/bad_kafka.c": "#include <librdkafka/rdkafka.h>\n",
        "base/bad_curl.h": "#include <curl/curl.h>\n",
        "sim/bad_curl.c": "#include <curl/curl.h>\n",
        "cli/bad_call.c": "void f(void) { curl_easy_perform(0); }\n",
        "services/bad_call.c": "void f(void) { rd_kafka_poll(0, 0); }\n",
    }
    failures = 0
    for name, body in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            tree = pathlib.Path(tmp) / "src"
            (tree / name).parent.mkdir(parents=True)
            (tree / name).write_text(body)
            found = check_tree(tree)
            if not found:
                print(f"self-test: the violation in {name} was not caught")
                failures += 1
    return failures


def main():
    src = pathlib.Path(sys.argv[1]).resolve()
    if "--self-test" in sys.argv and self_test(src):
        return 1
    problems = check_tree(src)
    for p in problems:
        print(p)
    if problems:
        print(f"layers: {len(problems)} violation(s); the rules are in docs/architecture.md")
        return 1
    files = sum(1 for p in src.rglob("*") if p.suffix in (".c", ".h"))
    print(f"layers: {files} files under src/ follow docs/architecture.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
