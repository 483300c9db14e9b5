#!/usr/bin/env python3
"""compare_optimizers with hostile and awkward names: no name may reach a shell or gnuplot as code.

Usage: hostile_names.py COMPARE_OPTIMIZERS WORK_DIR
Each case runs the tool in WORK_DIR (emptied first) with an --out folder or a --dataset file whose name
would run `touch PWNED...` if it were pasted into a shell line or a gnuplot command; the run must succeed,
write its table, CSV and both plots, and no PWNED file may appear. Names with a quote, a line break and
underscores are legitimate and must work too; the SVG must show `leaky_relu` and the dataset path as
typed (no enhanced-text subscripts).
"""
import os
import random
import shutil
import subprocess
import sys

TOOL, WORK = sys.argv[1], sys.argv[2]
INJECTIONS = [  # how each would get out of the string it was put in
    "x';touch PWNED_SHELL;'",        # a single-quoted shell word
    'q"; system "touch PWNED_GP"; x="',  # a double-quoted gnuplot string
    "b`touch PWNED_BACKQUOTE`",      # gnuplot's command substitution
    "it's here",                     # a legitimate quote
    "line\nbreak_and @macro",        # a line break would end a gnuplot command; @ starts a macro
]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def run(label, args, out):
    result = subprocess.run([TOOL, "--optimizers", "adam", "--epochs", "2", "--out", out] + args,
                            cwd=WORK, capture_output=True, text=True)
    check(result.returncode == 0, f"{label}: exit {result.returncode}\n{result.stdout}{result.stderr}")
    for name in ("history.csv", "history.png", "history.svg"):
        path = os.path.join(WORK, out, name)
        check(os.path.exists(path) and os.path.getsize(path) > 0, f"{label}: {out}/{name} was not written")
    return os.path.join(WORK, out, "history.svg")


def write_csv(name):
    rng = random.Random(1)
    with open(os.path.join(WORK, name), "w") as f:
        f.writelines(f"{rng.random()},{rng.random()},{i % 2}\n" for i in range(40))


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
for i, name in enumerate(INJECTIONS):
    run(f"--out {name!r}", [], name)
    dataset = f"{name}_data.csv".replace("\n", "_")  # Python's open() takes a line break, CSV names rarely do
    write_csv(dataset)
    svg = run(f"--dataset {dataset!r}", ["--dataset", dataset, "--activation", "leaky_relu"], f"data{i}")
    if os.path.exists(svg):
        text = open(svg).read()
        escaped = dataset.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        check("leaky_relu on " in text and (dataset in text or escaped in text),
              f"--dataset {dataset!r}: the SVG title does not show the name as typed")
for root, _, files in os.walk(WORK):
    for f in files:
        check(not f.startswith("PWNED"), f"an injected command ran: {os.path.join(root, f)}")
if failures:
    sys.exit("\n".join(failures))
print(f"ok: {2 * len(INJECTIONS)} runs with hostile names, no command ran")
