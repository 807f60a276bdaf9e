#!/usr/bin/env python3
"""Markdown tables for REPRODUCTION.md from finished output directories (results/<name>/).

Reads the Feather tables with polars (what users read them with) and each report.json, and
prints one section per experiment found. Usage: .venv/bin/python scripts/reproduction_tables.py
[results]   (maintainer tool: the numbers in REPRODUCTION.md come from here).
"""
import json
import sys
from pathlib import Path

import polars as pl

root = Path(sys.argv[1] if len(sys.argv) > 1 else "results")


def fmt(x, digits=3):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def table(df: pl.DataFrame) -> str:
    cols = df.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.iter_rows():
        lines.append("| " + " | ".join(fmt(v) for v in row) + " |")
    return "\n".join(lines)


def load(name):
    d = root / name
    if not (d / "runs.arrow").exists():
        return None
    runs = pl.read_ipc(d / "runs.arrow", memory_map=False)
    neurons = pl.read_ipc(d / "neurons.arrow", memory_map=False, columns=["task_id", "activation_rate", "activation_count", "w_norm", "a"])
    report = json.loads((d / "report" / "report.json").read_text()) if (d / "report" / "report.json").exists() else None
    return runs, neurons, report


def keys(runs, candidates):
    return [k for k in candidates if k in runs.columns and runs[k].n_unique() > 1]


def activity(runs, neurons, group):
    per_task = (
        neurons.group_by("task_id")
        .agg(
            (pl.col("activation_rate") > 0).mean().alias("alive"),
            ((pl.col("activation_rate") > 0) & (pl.col("activation_rate") < 1)).mean().alias("boundary_inside"),
            ((pl.col("activation_rate") <= 0.1).filter(pl.col("activation_rate") > 0)).mean().alias("active_le_10pct"),
            pl.col("activation_rate").filter(pl.col("activation_rate") > 0).median().alias("median_rate_active"),
            pl.col("w_norm").filter(pl.col("activation_rate") > 0).median().alias("median_wnorm_active"),
        )
    )
    joined = runs.join(per_task, on="task_id")
    return joined


def e1(name):
    got = load(name)
    if not got:
        return
    runs, neurons, _ = got
    j = activity(runs, neurons, None).filter(pl.col("status") == "ok")
    g = keys(runs, ["loss", "optim"])
    out = (
        j.group_by(g)
        .agg(
            pl.len().alias("seeds"),
            pl.col("eta").first(),
            pl.col("lambda_max").median().alias("lambda_max"),
            (2 / pl.col("eta").first()).alias("2/eta"),
            pl.col("eos_ratio").median().alias("eos_ratio"),
            pl.col("test_mse").median().alias("test_mse"),
            pl.col("train_loss").median().alias("train_loss"),
            pl.col("median_rate_active").median().alias("median act. rate (active)"),
            pl.col("active_le_10pct").median().alias("active firing <=10%"),
            pl.col("neurons_dead").median().alias("dead neurons"),
        )
        .sort(g)
    )
    print(f"### {name}\n\n{table(out)}\n")


def slopes(name):
    got = load(name)
    if not got or not got[2]:
        return
    rows = got[2]["slopes"]
    if not rows:
        return
    df = pl.DataFrame(
        [
            {
                "method": r["panel"],
                "d": r["d"],
                "rate (-slope)": r["rate"],
                "95% CI": f"[{fmt(r['rate_low'])}, {fmt(r['rate_high'])}]",
                "theory upper 1/(2d+4)": r["theory_rate_upper_bound"],
                "minimax 2/(d+1)": r["theory_rate_minimax"],
                "n": f"{min(r['n_values'])}..{max(r['n_values'])}",
                "seeds/n": min(r["seeds_per_n"]),
            }
            for r in rows
        ]
    ).sort(["method", "d"])
    print(f"### {name}: rates of test MSE in n\n\n{table(df)}\n")


def by_d(name, group_extra):
    got = load(name)
    if not got:
        return
    runs, neurons, _ = got
    j = activity(runs, neurons, None).filter(pl.col("status") == "ok")
    g = keys(runs, group_extra) + ["d"]
    out = (
        j.group_by(g)
        .agg(
            pl.len().alias("seeds"),
            pl.col("alive").median().alias("share alive (rate>0)"),
            pl.col("boundary_inside").median().alias("share with boundary in data (0<rate<1)"),
            pl.col("active_le_10pct").median().alias("active firing <=10%"),
            pl.col("train_loss").median().alias("train_loss"),
            pl.col("test_mse").median().alias("test_mse"),
            pl.col("lambda_max").median().alias("lambda_max"),
        )
        .sort(g)
    )
    print(f"### {name}\n\n{table(out)}\n")


def step_size(name):
    got = load(name)
    if not got:
        return
    runs, neurons, _ = got
    j = activity(runs, neurons, None).filter(pl.col("status") == "ok")
    g = keys(runs, ["schedule"])
    out = (
        j.group_by(g)
        .agg(
            pl.len().alias("seeds"),
            pl.col("eta").first(),
            pl.col("epochs").first(),
            pl.col("active_le_10pct").median().alias("active firing <=10%"),
            pl.col("median_rate_active").median().alias("median act. rate (active)"),
            pl.col("median_wnorm_active").median().alias("median norm of w (active)"),
            pl.col("test_mse").median().alias("test_mse"),
        )
        .sort("eta")
    )
    print(f"### {name}\n\n{table(out)}\n")


def underparam(name, group):
    got = load(name)
    if not got:
        return
    runs, neurons, _ = got
    ok = runs.filter(pl.col("status") == "ok").select(["task_id"] + group)
    active = neurons.filter(pl.col("activation_rate") > 0).join(ok, on="task_id")
    per_task = active.group_by(["task_id"] + group).agg(
        pl.corr("activation_rate", "a", method="spearman").alias("spearman(rate, a)"),
        pl.corr("activation_rate", "w_norm", method="spearman").alias("spearman(rate, norm of w)"),
    )
    out = per_task.group_by(group).agg(pl.len().alias("seeds"), pl.col("spearman(rate, a)").median(), pl.col("spearman(rate, norm of w)").median()).sort(group)
    print(f"### {name}: rank correlation of activation rate with neuron size (negative: rarer neurons are larger)\n\n{table(out)}\n")


for n in ["e1-shattering", "e1-shattering-small"]:
    e1(n)
for n in ["e2-curse", "e2-curse-mse", "e2-curse-reference", "e2-curse-small", "a5-linear-rates", "a5-linear-rates-small", "a6-linear-wd", "a6-linear-wd-small", "a7-hoelder", "a7-hoelder-small", "caps-lower-bound", "caps-lower-bound-small"]:
    slopes(n)
for n in ["a1-extrapolation", "a1-extrapolation-small", "a4-gelu", "a4-gelu-small"]:
    by_d(n, ["loss"])
for n in ["a2-step-size", "a2-step-size-small"]:
    step_size(n)
for n in ["a3-underparam", "a3-underparam-small"]:
    underparam(n, ["width", "weight_decay"])
for n in ["a3-high-dim", "a3-high-dim-small"]:
    underparam(n, ["d", "weight_decay"])
