#!/usr/bin/env python3
"""Markdown tables from tapegrad_bench's Google Benchmark JSON (scripts/bench.sh writes it).

    python3 scripts/bench_table.py [--time auto|real|cpu] build/bench/bench-1t.json [more.json ...]

train_step/<implementation>/<workload>: one row per workload with microseconds per step for autograd,
manual and libtorch (and any other implementation found), the autograd/manual and autograd/libtorch
ratios and the GFLOP/s each reached. matmul/<implementation>/<n>: one row per n with sgemm's GFLOP/s and
the share of it every other implementation (tapegrad) reaches. Times are medians over the repetitions.
--time auto (the default) reads CPU time when the run was single-threaded (the context says one OpenBLAS
and one LibTorch thread): on a machine shared with other jobs it does not count the time the benchmark
spent descheduled. Multi-threaded runs use wall-clock time, as CPU time then counts only the main thread.
Missing implementations show as an em dash. Python 3 standard library only.
"""

import json
import statistics
import sys

MISSING = "\u2014"
TRAIN_IMPLS = ["autograd", "manual", "libtorch"]  # always shown, in this order; others follow
WORKLOAD_ORDER = ["zhou", "digits", "fashion", "wide", "fashion_cnn"]
TO_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


class Result:
    """One benchmark's median wall time (seconds), FLOPs per iteration and spread over repetitions."""

    def __init__(self, times, flops):
        self.seconds = statistics.median(times)
        self.flops = flops
        self.spread = max(times) / min(times) - 1 if len(times) > 1 and min(times) > 0 else 0.0

    @property
    def us(self):
        return self.seconds * 1e6

    @property
    def gflops(self):
        return self.flops / self.seconds / 1e9 if self.flops and self.seconds > 0 else None


def choose_clock(ctx, requested):
    """'real_time' or 'cpu_time' for this run (see the module documentation)."""
    if requested != "auto":
        return requested + "_time"
    threads = [ctx.get("openblas_threads", "1"), ctx.get("torch_threads", "1")]
    return "cpu_time" if all(t == "1" for t in threads) else "real_time"


def load(path, requested_clock):
    """Returns (context, clock, {(family, impl, key): Result}) from one JSON file."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    ctx = doc.get("context", {})
    clock = choose_clock(ctx, requested_clock)
    runs, medians = {}, {}
    for b in doc.get("benchmarks", []):
        parts = b.get("run_name", b["name"]).split("/")
        if len(parts) < 3 or b.get("error_occurred"):
            continue
        key = tuple(parts[:3])  # drops suffixes such as /real_time
        unit = TO_SECONDS[b.get("time_unit", "ns")]
        t, cpu = b[clock] * unit, b["cpu_time"] * unit
        # A kIsIterationInvariantRate counter is FLOPs per iteration divided by the CPU time.
        flops = b.get("FLOPS", 0.0) * cpu
        if b.get("run_type", "iteration") == "iteration":
            runs.setdefault(key, []).append((t, flops))
        elif b.get("aggregate_name") == "median":
            medians[key] = (t, flops)
    results = {}
    for key, rs in runs.items():
        results[key] = Result([r for r, _ in rs], statistics.median(f for _, f in rs))
    for key, (t, flops) in medians.items():  # only aggregates were reported
        results.setdefault(key, Result([t], flops))
    return ctx, clock, results


def fmt_us(us):
    if us is None:
        return MISSING
    if us >= 1000:
        return f"{us:,.0f}"
    if us >= 100:
        return f"{us:.0f}"
    if us >= 10:
        return f"{us:.1f}"
    if us >= 1:
        return f"{us:.2f}"
    return f"{us:.3f}"


def fmt(x, spec):
    return MISSING if x is None else format(x, spec)


def fmt_ratio(x):
    return MISSING if x is None else format(x, ".2f" if x >= 0.1 else ".2g")


def fmt_gflops(x):
    if x is None:
        return MISSING
    return format(x, ".1f" if x >= 10 else ".2f" if x >= 1 else ".3g")


def ordered(names, first):
    return [n for n in first if n in names] + sorted(n for n in names if n not in first)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def spread_note(results, clock):
    worst = max((r.spread for r in results), default=0.0)
    kind = "CPU-time" if clock == "cpu_time" else "Wall-clock"
    return f"{kind} medians; the slowest repetition of any entry is {worst:.0%} above its fastest."


def train_table(results, clock):
    train = {(impl, wl): r for (fam, impl, wl), r in results.items() if fam == "train_step"}
    if not train:
        return None
    impls = TRAIN_IMPLS + sorted({i for i, _ in train} - set(TRAIN_IMPLS))
    workloads = ordered({w for _, w in train}, WORKLOAD_ORDER)

    def us(impl, wl):
        r = train.get((impl, wl))
        return r.us if r else None

    def ratio(a, b):
        return a / b if a is not None and b else None

    header = (["workload"] + [f"{i} (\u00b5s)" for i in impls] + ["autograd/manual", "autograd/libtorch"]
              + [f"{i} GFLOP/s" for i in impls])
    rows = []
    for wl in workloads:
        rows.append([wl] + [fmt_us(us(i, wl)) for i in impls]
                    + [fmt_ratio(ratio(us("autograd", wl), us("manual", wl))),
                       fmt_ratio(ratio(us("autograd", wl), us("libtorch", wl)))]
                    + [fmt_gflops(train[(i, wl)].gflops if (i, wl) in train else None) for i in impls])
    return "### Training step\n\n" + table(header, rows) + "\n\n" + spread_note(train.values(), clock)


def matmul_table(results, clock):
    mm = {(impl, int(n)): r for (fam, impl, n), r in results.items() if fam == "matmul" and n.isdigit()}
    if not mm:
        return None
    others = ["tapegrad"] + sorted({i for i, _ in mm} - {"sgemm", "tapegrad"})
    header = ["n", "sgemm (\u00b5s)", "sgemm GFLOP/s"]
    for i in others:
        header += [f"{i} (\u00b5s)", f"{i} GFLOP/s", f"{i} share of sgemm"]
    rows = []
    for n in sorted({n for _, n in mm}):
        ref = mm.get(("sgemm", n))
        row = [str(n), fmt_us(ref.us if ref else None), fmt_gflops(ref.gflops if ref else None)]
        for i in others:
            r = mm.get((i, n))
            share = ref.seconds / r.seconds if r and ref else None
            row += [fmt_us(r.us if r else None), fmt_gflops(r.gflops if r else None), fmt(share, ".0%")]
        rows.append(row)
    return "### Matrix product (square n x n, float32)\n\n" + table(header, rows) + "\n\n" + spread_note(mm.values(), clock)


def context_line(ctx, path):
    cpus = ctx.get("num_cpus", "?")
    mhz = ctx.get("mhz_per_cpu", "?")
    load_avg = ", ".join(f"{x:.2f}" for x in ctx.get("load_avg", []))
    parts = [f"`{path}`", str(ctx.get("date", "date unknown")), f"host {ctx.get('host_name', '?')}",
             f"{cpus} CPUs at {mhz} MHz", f"OpenBLAS core {ctx.get('openblas_core', '?')}",
             f"OpenBLAS threads {ctx.get('openblas_threads', '?')}",
             f"torch threads {ctx.get('torch_threads', MISSING)}"]
    if load_avg:
        parts.append(f"load average {load_avg}")
    return "; ".join(parts) + "."


def main(argv):
    args = argv[1:]
    clock = "auto"
    if len(args) >= 2 and args[0] == "--time" and args[1] in ("auto", "real", "cpu"):
        clock, args = args[1], args[2:]
    if not args or args[0].startswith("-"):
        print(__doc__.strip())
        return 0 if args and args[0] in ("-h", "--help") else 2
    for path in args:
        ctx, used, results = load(path, clock)
        print(context_line(ctx, path) + "\n")
        sections = [s for s in (train_table(results, used), matmul_table(results, used)) if s]
        print("\n\n".join(sections) if sections else "No train_step/ or matmul/ benchmarks in this file.")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
