#!/usr/bin/env python3
"""Decodes and validates a file of scan events, one JSON document per line.

    python3 validate_events.py events.jsonl     (or - for standard input)

Prints each refused line with the failing field and the library's reason,
then a summary; exits 1 if any line was refused. Needs the quackpipe
package on PYTHONPATH (see docs/bindings.md).
"""

import sys

import quackpipe


def validate(lines, out):
    """Writes one line per refused event and a summary; returns (valid, refused)."""
    valid = refused = 0
    for number, line in enumerate(lines, 1):
        line = line.rstrip(b"\r\n")
        if not line:
            continue
        try:
            event = quackpipe.decode(line)
        except quackpipe.ValidationError as err:
            refused += 1  # err.path names the failing field, when there is one
            out.write(f"line {number}: {err.detail} [{err.name}]\n")
            continue
        valid += 1
        event.close()  # a real consumer would use it first
    out.write(f"{valid} valid, {refused} refused\n")
    return valid, refused


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == "-":
        _, refused = validate(sys.stdin.buffer, sys.stdout)
    else:
        with open(argv[1], "rb") as lines:
            _, refused = validate(lines, sys.stdout)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
