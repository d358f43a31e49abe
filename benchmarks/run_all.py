"""Every benchmark in one run, then one table: measure, ours, baseline, ratio, target.

    .venv/bin/python benchmarks/run_all.py [--quick]

Each benchmark prints its own figures as it goes; the table at the end gathers the ones the
targets are about. Ratios are measured within this one run (the machine is shared and noisy:
absolute times are indicative only). ``--quick`` runs fewer rounds and cold starts.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

Row = tuple[str, str, str, str, str]  # measure, ours, baseline, ratio, target


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us"


def _ratio(ours: float, base: float, target: float) -> tuple[str, str]:
    ratio = ours / base
    return f"{ratio:.2f}x", f"<= {target:g}x {'met' if ratio <= target else 'MISSED'}"


def _bounded(value: float, target: float, shown: str, unit: str) -> tuple[str, str]:
    return shown, f"<= {target:g} {unit} {'met' if value <= target else 'MISSED'}"


def cold_start(quick: bool) -> list[Row]:
    bench = importlib.import_module("bench_cold_start")
    f = bench.main(["--runs", "2" if quick else "5"])
    imp_shown, imp_target = _bounded(f["import_s"], 0.3, f"{f['import_s']:.3f} s", "s")
    total_shown, total_target = _bounded(f["total"], 1.0, f"{f['total']:.2f} s", "s")
    rss_shown, rss_target = _bounded(f["rss_mb"], 80, f"{f['rss_mb']:.0f} MB", "MB")
    breakdown = f"load_ext {f['load_ext']:.2f} s + setup {f['setup']:.2f} s + reply {f['reply']:.2f} s"
    return [
        ("import stripe_nb_agent", imp_shown, "", "", imp_target),
        ("cold start: %load_ext + first reply", total_shown, breakdown, "", total_target),
        (
            "cold start vs its floor: a kernel only importing mcp + pandas",
            total_shown,
            f"{f['floor']:.2f} s",
            f"{f['total'] / f['floor']:.2f}x",
            "(the floor is the dependencies')",
        ),
        ("cold start: kernel RSS growth", rss_shown, f"floor {f['floor_rss_mb']:.0f} MB", "", rss_target),
        ("cold start: model server's process RSS", f"{f['child_rss_mb']:.0f} MB", "", "", "(not the kernel)"),
    ]


def mcp_session(quick: bool) -> list[Row]:
    f = importlib.import_module("bench_mcp_session").main(["--rounds", "6" if quick else "16"])
    # The median of the rounds' paired ratios (see bench_mcp_session), not a ratio of two times.
    return [
        (
            "tool client, 100 reads vs raw SDK ClientSession",
            _ms(f["ours_median_s"]),
            _ms(f["raw_median_s"]),
            f"{f['ratio']:.2f}x",
            f"<= 1.2x {'met' if f['ratio'] <= 1.2 else 'MISSED'}",
        )
    ]


def validation(quick: bool) -> list[Row]:
    f = importlib.import_module("bench_validation").main([])
    rows: list[Row] = [("validate one good call (cached jsonschema-rs)", _us(f["ours_s"]), "", "", "")]
    if "jsonschema_import_s" in f and "jsonschema-rs_import_s" in f:
        rows.append(
            (
                "validator library import",
                f"{f['jsonschema-rs_import_s']:.3f} s",
                f"jsonschema {f['jsonschema_import_s']:.3f} s",
                f"{f['jsonschema-rs_import_s'] / f['jsonschema_import_s']:.2f}x",
                "",
            )
        )
    return rows


def store(quick: bool) -> list[Row]:
    f = importlib.import_module("bench_store").main([] if not quick else ["--sizes", "10000", "100000"])
    return [
        (
            "store list_customers, 100k vs 10k objects",
            _us(f["list_100000"]),
            _us(f["list_10000"]),
            *_ratio(f["list_100000"], f["list_10000"], 12),
        ),
        (
            "store create_customer, SQLite file vs memory (median ratio)",
            _us(f["write_file"]),
            _us(f["write_memory"]),
            f"{f['write_ratio']:.2f}x",
            f"<= 5x {'met' if f['write_ratio'] <= 5 else 'MISSED'}",
        ),
    ]


def context(quick: bool) -> list[Row]:
    f = importlib.import_module("bench_context").main(["--turns", "60"])
    return [
        (
            "turn after 60 turns vs the first",
            _ms(f["later_s"]),
            _ms(f["first_s"]),
            *_ratio(f["later_s"], f["first_s"], 1.2),
        )
    ]


def stream(quick: bool) -> list[Row]:
    f = importlib.import_module("bench_stream").main(["--rounds", "7" if quick else "15"])
    rows: list[Row] = [
        (
            "streaming 5,000 chunks vs httpx2 + json.loads",
            _ms(f["ours_s"]),
            _ms(f["plain_s"]),
            *_ratio(f["ours_s"], f["plain_s"], 1.3),
        )
    ]
    if "openai_s" in f:
        rows.append(
            (
                "reference: official openai SDK, same bytes, vs ours",
                _ms(f["openai_s"]),
                _ms(f["ours_s"]),
                f"{f['openai_s'] / f['ours_s']:.1f}x",
                "(reference only)",
            )
        )
    return rows


def tables(quick: bool) -> list[Row]:
    f = importlib.import_module("bench_tables").main(["--repeat", "3" if quick else "5"])
    return [
        (f"to_frame vs json_normalize, {rows:,} rows", _ms(ours), _ms(base), *_ratio(ours, base, 1.5))
        for rows, (ours, base) in f.items()
    ]


BENCHMARKS: list[tuple[str, Callable[[bool], list[Row]]]] = [
    ("bench_cold_start", cold_start),
    ("bench_mcp_session", mcp_session),
    ("bench_validation", validation),
    ("bench_store", store),
    ("bench_context", context),
    ("bench_stream", stream),
    ("bench_tables", tables),
]


def table(rows: list[Row]) -> str:
    header: Row = ("measure", "ours", "baseline", "ratio", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name, run in BENCHMARKS:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        try:
            rows += run(args.quick)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            rows.append((name, "failed", "", "", f"{type(exc).__name__}: {exc}"[:60]))
        print(f"({time.perf_counter() - started:.0f} s)", flush=True)
    if importlib.util.find_spec("onnxruntime") is not None:
        print("\n== bench_embeddings (figures only, no target) ==", flush=True)
        importlib.import_module("bench_embeddings").main()
    result = table(rows)
    print("\n" + result)
    return result


if __name__ == "__main__":
    main()
