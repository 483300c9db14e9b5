#!/usr/bin/python3
"""The data-parallel scaling model, fitted to scripts/bench_distributed.sh's measurements and checked against
them: reads the result lines of tapegrad_bench_ddp (tapegrad_ddp, tapegrad_allreduce) and
scripts/pytorch_ddp.py (pytorch_ddp) and prints Markdown tables.

    step(N) = compute(B / N) + copies(bytes) + all-reduce(bytes, N)
    copies(bytes) = 2 bytes / beta                                          (DistributedDataParallel copies every
                                                                              gradient into its bucket and back)
    all-reduce(bytes, N) = 2 (N - 1) alpha + 2 (N - 1) / N * bytes / beta   (a ring: N - 1 reduce-scatter and
                                                                              N - 1 all-gather messages)

compute(B / N) is one rank's share of the step, measured: with the ranks sharing this machine, all of them at
once (they compete for its memory bandwidth); on a cluster of one rank per machine, one rank alone. alpha and
beta are fitted to the all-reduce alone of 16 KiB to 16 MiB and of each workload's gradient bytes at 2 ranks
here (least squares on the relative error), a shared-memory all-reduce being bound by the same copies; for a
network, the all-reduce's beta is the link's rate and alpha an assumed per-message latency (--latency-us),
while the copies keep this machine's beta.

The check: the model's step at 2 ranks here against the measured one. It exits 1 when they differ by more
than --tolerance (25 %: the hooks' and the optimizer's bookkeeping are left out, and the shared machine's
noise: the same 2-rank step measured 37.8-42.3 ms for wide within an hour on 2026-12-04, 11 %).

    /usr/bin/python3 scripts/scaling_model.py results.txt
"""

import argparse
import sys


def parse(lines):
    """The key=value fields of every result line, by its first word."""
    rows = {"tapegrad_ddp": [], "tapegrad_allreduce": [], "pytorch_ddp": []}
    for line in lines:
        words = line.split()
        if not words or words[0] not in rows:
            continue
        fields = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        rows[words[0]].append({k: (float(v) if v.replace(".", "", 1).isdigit() else v) for k, v in fields.items()})
    return rows


def fit_allreduce(points):
    """(alpha in s, beta in bytes/s) of t = 2 alpha + bytes / beta, 2 ranks, minimising the relative error."""
    # weighted least squares of t = a + s x with weights 1 / t^2: the normal equations of a 2x2 system
    sw = sx = sxx = st = sxt = 0.0
    for x, t in points:
        w = 1.0 / (t * t)
        sw, sx, sxx, st, sxt = sw + w, sx + w * x, sxx + w * x * x, st + w * t, sxt + w * x * t
    det = sw * sxx - sx * sx
    a = (st * sxx - sx * sxt) / det
    s = (sw * sxt - sx * st) / det
    return a / 2, 1 / s


def ring_s(nbytes, n, alpha, beta):
    return 2 * (n - 1) * alpha + 2 * (n - 1) / n * nbytes / beta


def copies_s(nbytes, beta):
    """DistributedDataParallel's two passes over the gradients: into the bucket, and the average back."""
    return 2 * nbytes / beta


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=argparse.FileType("r"))
    parser.add_argument("--tolerance", type=float, default=0.25)
    parser.add_argument("--latency-us", type=float, nargs=2, default=(25.0, 5.0), metavar=("AT_10G", "AT_100G"),
                        help="the assumed per-message latency at 10 and 100 Gbit/s (default 25 and 5 us)")
    args = parser.parse_args()
    rows = parse(args.results)
    tg = {(r["workload"], int(r["ranks"]), int(r["per_rank"])): r for r in rows["tapegrad_ddp"]}
    torch = {(r["workload"], int(r["ranks"])): r for r in rows["pytorch_ddp"]}
    sweep = [(r["bytes"], r["ms"] / 1e3) for r in rows["tapegrad_allreduce"] if int(r["ranks"]) == 2]
    sweep += [(r["grad_bytes"], r["allreduce_ms"] / 1e3) for r in rows["tapegrad_ddp"] if int(r["ranks"]) == 2]
    if len(sweep) < 2:
        sys.exit("scaling_model.py: no all-reduce sweep at 2 ranks (tapegrad_allreduce lines) in the results")
    alpha, beta = fit_allreduce(sweep)
    workloads = sorted({w for w, n, _ in tg if n == 1}, key=["fashion", "wide"].index)
    full = {w: max(b for v, n, b in tg if v == w and n == 1) for w in workloads}  # the workload's own batch

    print("| workload | ranks | tapegrad (ms) | speed-up | PyTorch DDP, gloo (ms) | speed-up | PyTorch / tapegrad |")
    print("|---|---|---|---|---|---|---|")
    for w in workloads:
        b = full[w]
        one = tg[w, 1, b]["step_ms"]
        one_torch = torch[w, 1]["step_ms"] if (w, 1) in torch else None
        for n in (1, 2):
            step = tg[w, n, b // n]["step_ms"]
            t = torch.get((w, n), {}).get("step_ms")
            torch_cols = f"{t:.3f} | {one_torch / t:.2f}x | {t / step:.2f}" if t and one_torch else "- | - | -"
            print(f"| {w} | {n} | {step:.3f} | {one / step:.2f}x | {torch_cols} |")

    print()
    print(f"All-reduce fitted here (2 ranks, shared memory, {len(sweep)} sizes, up to the gradients' bytes): "
          f"alpha = {alpha * 1e6:.1f} us per message, beta = {beta / 1e9:.2f} GB/s.")
    print()
    print("| workload | gradient bytes | compute(B/2), ranks together (ms) | copies (ms) | all-reduce, fitted (ms) "
          "| model (ms) | measured (ms) | model / measured |")
    print("|---|---|---|---|---|---|---|---|")
    failed = []
    for w in workloads:
        two = tg[w, 2, full[w] // 2]
        reduce_ms = ring_s(two["grad_bytes"], 2, alpha, beta) * 1e3
        copies_ms = copies_s(two["grad_bytes"], beta) * 1e3
        model = two["compute_ms"] + copies_ms + reduce_ms
        ratio = model / two["step_ms"]
        if abs(ratio - 1) > args.tolerance:
            failed.append(f"{w}: model {model:.3f} ms against measured {two['step_ms']:.3f} ms")
        print(f"| {w} | {int(two['grad_bytes'])} | {two['compute_ms']:.3f} | {copies_ms:.3f} | {reduce_ms:.3f} "
              f"| {model:.3f} | {two['step_ms']:.3f} | {ratio:.2f} |")

    print()
    links = ((10, args.latency_us[0]), (100, args.latency_us[1]))
    print("Predicted for one rank per machine (compute(B/N) measured here on one rank alone, the copies at this "
          "machine's beta, a ring all-reduce at the link's rate with latency " +
          " and ".join(f"{us:g} us at {g} Gbit/s" for g, us in links) + ", assumed; no overlap):")
    print()
    print("| workload | ranks | per-rank batch | compute(B/N) (ms) | " +
          " | ".join(f"all-reduce {g}G (ms) | step {g}G (ms) | speed-up {g}G" for g, _ in links) + " |")
    print("|---|---|---|---|" + "---|---|---|" * len(links))
    for w in workloads:
        b = full[w]
        one = tg[w, 1, b]["step_ms"]
        for n in (8, 64):
            alone = tg.get((w, 1, b // n))
            if alone is None:
                continue
            cells = []
            for gbit, us in links:
                reduce_ms = ring_s(alone["grad_bytes"], n, us * 1e-6, gbit * 1e9 / 8) * 1e3
                step = alone["compute_ms"] + copies_s(alone["grad_bytes"], beta) * 1e3 + reduce_ms
                cells.append(f"{reduce_ms:.3f} | {step:.3f} | {one / step:.2f}x")
            print(f"| {w} | {n} | {b // n} | {alone['compute_ms']:.3f} | " + " | ".join(cells) + " |")
    if failed:
        print("\nscaling_model.py: the model is off by more than " + f"{args.tolerance:.0%}: " + "; ".join(failed),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
