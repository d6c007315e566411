#!/usr/bin/env python3
"""Regenerates airports.csv from the `airportsdata` package (MIT licence).

Usage:
    pip download airportsdata --no-deps -d /tmp/ad
    python3 make_airports.py /tmp/ad/airportsdata-*.whl [--tz-source DIR] > airports.csv

The first argument is the airportsdata wheel (or its airports.csv). Only rows
with an IATA code are kept; columns are `iata,name,city,country,tz`, sorted by
IATA code. Rows whose time zone is not known to chrono-tz are dropped (and
counted on stderr): the zone names are read from the tz database that
chrono-tz bundles (`tz/` in the crate source; found in ~/.cargo/registry when
--tz-source is not given). The Rust tests check that every row parses.
"""

import csv
import glob
import io
import os
import re
import sys
import zipfile

TZ_FILES = ["africa", "antarctica", "asia", "australasia", "backward",
            "etcetera", "europe", "northamerica", "southamerica"]


def find_tz_source():
    pattern = os.path.expanduser("~/.cargo/registry/src/*/chrono-tz-0.10.*/tz")
    found = sorted(glob.glob(pattern))
    if not found:
        sys.exit("chrono-tz 0.10 source not found; pass --tz-source DIR")
    return found[-1]


def tz_names(tz_dir):
    """Zone and Link names in the tz database chrono-tz compiles."""
    names = set()
    for f in TZ_FILES:
        with open(os.path.join(tz_dir, f), encoding="utf-8") as fh:
            for line in fh:
                line = line.split("#", 1)[0]
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "Zone":
                    names.add(parts[1])
                elif len(parts) >= 3 and parts[0] == "Link":
                    names.add(parts[2])
    return names


def read_source(path):
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            return z.read("airportsdata/airports.csv").decode("utf-8")
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def main():
    args = sys.argv[1:]
    tz_dir = None
    if "--tz-source" in args:
        i = args.index("--tz-source")
        tz_dir = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    zones = tz_names(tz_dir or find_tz_source())

    rows, dropped, dup = {}, [], 0
    for r in csv.DictReader(io.StringIO(read_source(args[0]))):
        iata = r["iata"].strip().upper()
        if not re.fullmatch(r"[A-Z0-9]{3}", iata):
            continue
        tz = r["tz"].strip()
        if tz not in zones:
            dropped.append((iata, tz))
            continue
        if iata in rows:
            dup += 1
            continue
        rows[iata] = [iata, " ".join(r["name"].split()), " ".join(r["city"].split()),
                      r["country"].strip().upper(), tz]

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["iata", "name", "city", "country", "tz"])
    for iata in sorted(rows):
        out.writerow(rows[iata])
    print(f"kept {len(rows)} rows; dropped {len(dropped)} with a time zone "
          f"chrono-tz does not know {dropped}; {dup} duplicate IATA codes",
          file=sys.stderr)


if __name__ == "__main__":
    main()
