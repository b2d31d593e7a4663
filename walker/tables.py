"""Markdown tables of the committed results (``results/report.md``), so no figure in the docs is typed by hand.

Pure functions of the contents of ``results/summary.json``, ``results/evaluation.json``
and ``results/ppo/*.json``; the report stage writes them.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

GROUP_LABELS = {"fsm": "FSM expert", "bc": "BC clone (DAgger)", "ppo_bc": "PPO from BC", "ppo_scratch": "PPO from scratch"}


def fmt(value: Any, digits: int = 3) -> str:
    """A number for a table: ``digits`` decimals below 1,000, whole numbers with thousands separators above, a dash for None."""
    if value is None:
        return "–"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def with_spread(entry: Mapping[str, Any], key: str, digits: int = 3) -> str:
    """``mean ± sample std`` over seeds where the entry has ``<key>_std``, else the value."""
    std = entry.get(f"{key}_std")
    return fmt(entry.get(key), digits) + (f" ± {fmt(std, digits)}" if std is not None else "")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table; the first column left-aligned, the rest right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def headline_table(summary: Mapping[str, Any]) -> str:
    """Per policy group: success and walking success on the nominal set and the suite (MJX and native MuJoCo)."""
    header = ("policy", "success, nominal", "success, suite (MJX)", "success, suite (native)", "walking, nominal",
              "walking, suite (MJX)", "walking, suite (native)")
    keys = ("success_nominal", "success_suite", "success_suite_native", "walking_nominal", "walking_suite", "walking_suite_native")
    rows = [(GROUP_LABELS[g], *(with_spread(summary[g], k) for k in keys)) for g in GROUP_LABELS if g in summary]
    return table(header, rows)


def gait_table(summary: Mapping[str, Any]) -> str:
    """Per policy group on the nominal set: speed, cost of transport and the gait metrics."""
    header = ("policy", "speed (m/s)", "cost of transport (successful episodes)", "alternations (1/s)", "duty factor",
              "flight fraction", "stance-foot speed (m/s)", "step length (m)", "Froude number")
    rows = []
    for g in (g for g in GROUP_LABELS if g in summary):
        e = summary[g]
        cot = with_spread(e, "cost_of_transport") + f" (n = {fmt(e.get('cost_of_transport_episodes'), 0)})"
        rows.append((GROUP_LABELS[g], with_spread(e, "speed_mps", 2), cot,
                     *(with_spread(e, f"gait_{k}", 2) for k in ("alternations_hz", "duty_factor", "flight_fraction",
                                                                 "stance_slip_mps", "step_length_m", "froude"))))
    return table(header, rows)


def sample_efficiency_table(summary: Mapping[str, Any]) -> str:
    """Env steps to 0.8 suite success (and walking success) per PPO variant: mean over seeds, a run that never
    got there counting as its budget."""
    se = summary["sample_efficiency"]
    rows = []
    for prefix, what in (("", "success"), ("walking_", "walking success")):
        for v in ("bc", "scratch"):
            rows.append((f"{GROUP_LABELS[f'ppo_{v}']}, {what}", fmt(se.get(f"{prefix}ppo_{v}_steps_to_0_8")),
                         f"{se.get(f'{prefix}ppo_{v}_runs_reached_0_8')} of {se.get(f'{prefix}ppo_{v}_runs')}"))
    ratios = f"Ratio scratch / BC: {fmt(se.get('ratio'), 2)} (success), {fmt(se.get('walking_ratio'), 2)} (walking success)."
    return table(("variant, criterion", "env steps to 0.8 on the suite", "runs that reached it"), rows) + "\n\n" + ratios


def ppo_runs_table(runs: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per PPO run (``results/ppo/<variant>-<seed>.json``)."""
    header = ("run", "suite success at start", "at the end", "walking at the end", "env steps to 0.8 success",
              "to 0.8 walking", "env steps", "training env steps/s", "wall clock (s)")
    rows = [
        (name, fmt(r["success_suite_start"]), fmt(r["success_suite_final"]), fmt(r.get("walking_suite_final")),
         fmt(r["steps_to_success_0_8"]), fmt(r.get("steps_to_walking_0_8")), fmt(r["env_steps"]),
         fmt(r["train_steps_per_s"], 0), fmt(r["wall_clock_s"], 0))
        for name, r in runs.items()
    ]
    return table(header, rows)


def transfer_table(policies: Mapping[str, Mapping[str, Any]]) -> str:
    """Per policy and seed: suite success in MJX and native MuJoCo, and the fraction of cases with the same outcome."""
    rows = [
        (name, fmt(e["suite"]["success"]), fmt(e["suite_native"]["success"]), fmt(e["suite_cases_same_outcome"]),
         fmt(e["suite"]["walking"]), fmt(e["suite_native"]["walking"]), fmt(e["suite_cases_same_walking"]))
        for name, e in policies.items()
    ]
    return table(("policy", "success, MJX", "success, native", "cases with the same outcome", "walking, MJX",
                  "walking, native", "cases with the same walking outcome"), rows)


def sweep_table(policies: Mapping[str, Mapping[str, Any]], quantity: str, unit: str, key: str = "success") -> str:
    """Success (or walking success, ``key``) at each point of one sweep, per policy and seed."""
    values = next(iter(policies.values()))["sweeps"][quantity]["values"]
    rows = [(name, *(fmt(s, 2) for s in e["sweeps"][quantity][key])) for name, e in policies.items()]
    return table(("policy", *(f"{v:g} {unit}" for v in values)), rows)


def report_markdown(summary: Mapping[str, Any], evaluation: Mapping[str, Any], ppo_runs: Mapping[str, Mapping[str, Any]]) -> str:
    """The whole ``results/report.md``."""
    policies = evaluation["policies"]
    parts = [
        "# Results of the committed default run",
        "Generated by the `report` stage from `results/summary.json`, `results/evaluation.json` and `results/ppo/*.json`; "
        "do not edit by hand. Spreads are sample standard deviations over seeds. The protocol: docs/protocol.md.",
        f"## Per policy group\n\nNominal set: {evaluation['nominal_cases']} episodes; robustness suite: "
        f"{evaluation['suite_cases']} episodes; each {fmt(evaluation.get('episode_seconds'), 0)} s. Success: no fall, "
        "fast enough on average and a steady speed at the end; walking: success with a walking gait.\n\n"
        + headline_table(summary),
        "## Gait, speed and cost of transport (nominal set)\n\n" + gait_table(summary),
        "## Sample efficiency\n\n" + sample_efficiency_table(summary),
        "## PPO runs\n\n" + ppo_runs_table(ppo_runs),
        "## MJX against native MuJoCo (robustness suite)\n\n" + transfer_table(policies),
        "## Slope sweep (nominal friction and mass, no push)\n\nSuccess:\n\n" + sweep_table(policies, "slope_deg", "deg")
        + "\n\nWalking success:\n\n" + sweep_table(policies, "slope_deg", "deg", "walking"),
        "## Push sweep (nominal slope)\n\nSuccess:\n\n" + sweep_table(policies, "push_impulse_ns", "N s")
        + "\n\nWalking success:\n\n" + sweep_table(policies, "push_impulse_ns", "N s", "walking"),
    ]
    return "\n\n".join(parts) + "\n"


README_BEGIN = "<!-- headline:begin"
README_END = "<!-- headline:end -->"


def with_headline(readme: str, summary: Mapping[str, Any]) -> str:
    """``readme`` with the block between its headline markers replaced by :func:`headline_table` of ``summary``."""
    start, end = readme.index(README_BEGIN), readme.index(README_END)
    begin_line = readme[start:readme.index("\n", start) + 1]
    return readme[:start] + begin_line + headline_table(summary) + "\n" + readme[end:]


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    summary_json = Path(sys.argv[2] if len(sys.argv) > 2 else "results/summary.json")
    readme.write_text(with_headline(readme.read_text(), json.loads(summary_json.read_text())))
    print(f"{readme}: headline table from {summary_json}")
