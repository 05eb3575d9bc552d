"""Reads a voipsim report folder with other people's readers (see
check_reports.sh, which makes the folder and the files compared here):

(a) JUnit XML with junitparser: simulate's --junit and compare's
    --format junit have the testcases and failures their summaries say;
(b) signing.hlog with the hdrhistogram package: the counts, percentiles,
    max and mean equal summary.json's (see docs/reports.md for how a
    percentile's rank is defined, and how Python's reader differs);
(c) timeseries.csv with pandas, every column typed, adding up to
    summary.json's totals; a run with retries (match-day, the whole day) has
    the retry columns, adding up to joins.retries.

Exit 1 with one line per failed check.
"""

import json
import math
import sys
from pathlib import Path

import pandas as pd
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader
from junitparser import Failure, JUnitXml

FAILED = []


def check(ok, what):
    if not ok:
        FAILED.append(what)
    print(("ok    " if ok else "FAIL  ") + what)


def cases(path):
    """Every testcase of a JUnit file, with whether it failed."""
    xml = JUnitXml.fromfile(str(path))
    out = []
    for suite in xml:
        for case in suite:
            failed = any(isinstance(r, Failure) for r in case.result)
            out.append((case.name, failed, case))
    return xml, out


def check_junit(work):
    summary = json.load(open(work / "run" / "summary.json"))
    xml, got = cases(work / "simulate.xml")
    thresholds = summary["thresholds"]
    check(len(got) == len(thresholds) and xml.tests == len(thresholds),
          f"simulate JUnit: {len(got)} testcases for {len(thresholds)} thresholds")
    failed = [t for t in thresholds if not t["passed"]]
    check(sum(f for _, f, _ in got) == len(failed) == xml.failures,
          f"simulate JUnit: {xml.failures} failures, summary has {len(failed)} failed thresholds")
    for t, (name, f, case) in zip(thresholds, got):
        check(name == t["expr"] and f == (not t["passed"]), f"testcase {name!r} matches its threshold")
        if f:
            message = case.result[0].message
            observed = t["observed"]
            check(f"observed {observed:g}" in message or f"observed {observed}" in message,
                  f"failure message {message!r} names the observed value {observed}")

    rows = json.load(open(work / "same.json"))["rows"]
    xml, got = cases(work / "same.xml")
    check(len(got) == len(rows) and xml.failures == 0,
          f"compare JUnit of identical runs: {len(got)} testcases for {len(rows)} rows, {xml.failures} failures")
    xml, got = cases(work / "planted.xml")
    failing = [n for n, f, _ in got if f]
    check(failing == ["joins.attempted"],
          f"compare JUnit of a planted regression fails exactly joins.attempted: {failing}")


def rank_value(histogram, rank):
    """The highest equivalent value of the rank-th smallest recorded value
    (1-based), as both libraries report a percentile once the rank is
    chosen."""
    total = 0
    for index in range(histogram.counts_len):
        total += histogram.get_count_at_index(index)
        if total >= rank:
            return histogram.get_highest_equivalent_value(histogram.get_value_from_index(index))
    return 0


def check_hlog(work):
    summary = json.load(open(work / "run" / "summary.json"))
    latency = summary["signing"]["latency_ns"]
    rows = len(pd.read_csv(work / "run" / "timeseries.csv"))
    # The bounds voipsim records with: 1 ns to 60 s at 3 significant digits.
    reader = HistogramLogReader(str(work / "run" / "signing.hlog"), HdrHistogram(1, 60_000_000_000, 3))
    window = HdrHistogram(1, 60_000_000_000, 3)
    intervals = 0
    while (h := reader.get_next_interval_histogram()) is not None:
        window.add(h)
        intervals += 1
    check(intervals == rows, f"signing.hlog: {intervals} intervals for {rows} timeseries rows")
    n = window.get_total_count()
    check(n == latency["count"], f"signing.hlog: {n} values, summary count {latency['count']}")
    for key, q in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)]:
        # voipsim (Rust's hdrhistogram): the rank is ceil(q * count).
        ours = rank_value(window, max(1, math.ceil(q * n)))
        check(ours == latency[key], f"signing {key}: {ours} from the log, {latency[key]} in summary.json")
        # Python's reader rounds the rank to the nearest instead.
        theirs = window.get_value_at_percentile(q * 100)
        check(theirs == rank_value(window, max(1, int(q * n + 0.5))),
              f"signing {key}: Python's get_value_at_percentile ({theirs}) is the nearest-rank value")
    check(window.get_max_value() == latency["max"], f"signing max: {window.get_max_value()} vs {latency['max']}")
    mean = window.get_mean_value()
    check(abs(mean - latency["mean"]) <= 1e-9 * max(1.0, mean), f"signing mean: {mean} vs {latency['mean']}")


def check_timeseries(work):
    summary = json.load(open(work / "run" / "summary.json"))
    counts = ["rooms_active", "members_active", "rooms_created", "rooms_destroyed",
              "joins_attempted", "joins_accepted", "rejected_invalid_request",
              "rejected_invalid_signature", "rejected_stale_timestamp", "rejected_replayed_nonce",
              "rejected_already_in_room", "rejected_room_full", "rejected_daily_quota",
              "leaves", "signatures", "signatures_peak_per_s"]
    quota = [f"quota_left.{a['name']}" for a in summary["apps"]]
    dtypes = {"elapsed_s": "float64", **{c: "int64" for c in counts + quota}}
    frame = pd.read_csv(work / "run" / "timeseries.csv", dtype=dtypes, parse_dates=["time"])
    check(list(frame.columns) == ["time", "elapsed_s"] + counts + quota,
          f"timeseries.csv columns: {list(frame.columns)}")
    check(str(frame["time"].dtype).startswith("datetime64"), f"time is a datetime: {frame['time'].dtype}")
    wrong = {c: str(frame[c].dtype) for c, t in dtypes.items() if str(frame[c].dtype) != t}
    check(not wrong, f"every column has its type (wrong: {wrong})")
    check(not frame.isna().any().any(), "no empty cell in a simulation's rows")
    check(frame["time"].is_monotonic_increasing and frame["elapsed_s"].is_monotonic_increasing,
          "rows in time order")
    step = summary["scenario"]["report_interval_s"]
    check((frame["elapsed_s"].diff().dropna().iloc[:-1] == step).all(), f"rows {step} s apart")
    totals = {
        "joins_attempted": summary["joins"]["attempted"],
        "joins_accepted": summary["joins"]["accepted"],
        "rejected_room_full": summary["joins"]["rejected"]["room_full"],
        "rooms_created": summary["rooms"]["created"],
        "rooms_destroyed": summary["rooms"]["destroyed"],
        "leaves": summary["leaves"],
        "signatures": summary["signing"]["count"],
    }
    for column, total in totals.items():
        check(int(frame[column].sum()) == total, f"sum of {column} {int(frame[column].sum())} == summary {total}")
    check(int(frame["signatures_peak_per_s"].max()) == summary["signing"]["peak_per_s"],
          "busiest second of the rows is the summary's")


def check_retry_timeseries(work):
    """A run with a retry policy: the retry columns come right after the
    refusals, typed, and add up to joins.retries by reason."""
    summary = json.load(open(work / "retries" / "summary.json"))
    reasons = ["invalid_request", "invalid_signature", "stale_timestamp", "replayed_nonce",
               "already_in_room", "room_full", "daily_quota"]
    retries = ["retries"] + [f"retries_{r}" for r in reasons]
    frame = pd.read_csv(work / "retries" / "timeseries.csv",
                        dtype={c: "int64" for c in retries}, parse_dates=["time"])
    columns = list(frame.columns)
    at = columns.index("rejected_daily_quota") + 1
    check(columns[at:at + len(retries)] == retries, f"retry columns after the refusals: {columns}")
    wrong = {c: str(frame[c].dtype) for c in retries if str(frame[c].dtype) != "int64"}
    check(not wrong, f"every retry column is an integer (wrong: {wrong})")
    got = summary["joins"]["retries"]
    check(int(frame["retries"].sum()) == got["total"],
          f"sum of retries {int(frame['retries'].sum())} == summary {got['total']}")
    check(got["total"] > 0, "match-day retried some joins")
    for r in reasons:
        column = int(frame[f"retries_{r}"].sum())
        check(column == got.get(r, 0), f"sum of retries_{r} {column} == summary {got.get(r, 0)}")


def main():
    work = Path(sys.argv[1])
    check_junit(work)
    check_hlog(work)
    check_timeseries(work)
    check_retry_timeseries(work)
    if FAILED:
        print(f"{len(FAILED)} report checks failed", file=sys.stderr)
        sys.exit(1)
    print("every report check passed")


if __name__ == "__main__":
    main()
