"""Markdown tables of the committed results (``results/report.md``), so no figure in the docs is typed by hand.

Pure functions of the contents of ``results/summary.json``, ``results/evaluation.json``
and ``results/ppo/*.json``; the report stage writes them.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

GROUP_LABELS = {"fsm": "FSM expert", "bc": "BC clone (DAgger)", "ppo_bc": "PPO from BC", "ppo_scratch": "PPO from scratch",
                "sac_demos": "SAC from BC, demos in replay", "sac_scratch": "SAC from scratch",
                "ppo_wide": "PPO wide (ADR from PPO from BC)", "peer_sb3": "SB3 PPO (peer, defaults)"}


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


def steps_cell(steps: int | float | None, budget: int) -> str:
    """Env steps to the threshold, or that the run (or the median run) never reached it within its budget."""
    return fmt(steps) if steps is not None else f"not reached (> {fmt(budget)})"


def ratio_cell(ratio: Mapping[str, Any], baseline: str = "PPO from scratch", contender: str = "PPO from BC") -> str:
    """A race ratio (:func:`walker.summary.race_ratio`): the value, a lower bound, or why there is none."""
    if ratio["value"] is not None:
        return f"{ratio['value']:.2f}"
    if ratio["lower_bound"] is not None:
        return f"> {ratio['lower_bound']:.2f} ({baseline}'s median run never reached the threshold)"
    return {"contender": f"none: {contender}'s median run never reached the threshold",
            "both": "none: neither median run reached the threshold"}[ratio["censored"]]


def sample_efficiency_table(summary: Mapping[str, Any]) -> str:
    """The race to ``evaluate.success_threshold``: per learner and criterion, each run's env steps to it, the censored
    median, the same charged with what the curriculum spent before the learner started, the training seconds to it,
    and the ratios: PPO from scratch / PPO from BC, and best scratch learner / best curriculum."""
    se = summary["sample_efficiency"]
    rows = []
    for criterion, what in (("success", "success"), ("walking", "walking success")):
        for group in (g for g in GROUP_LABELS if g in se[criterion]):
            e = se[criterion][group]
            per_run = ", ".join(fmt(s) if s is not None else "–" for s in e["steps"])
            seconds = e.get("median_training_seconds")
            rows.append((f"{GROUP_LABELS[group]}, {what}", per_run, f"{e['reached']} of {e['runs']}",
                         steps_cell(e["median_steps"], e["budget"]), fmt(e["pre_env_steps"]),
                         steps_cell(e["median_charged_steps"], e["budget"] + e["pre_env_steps"]),
                         fmt(seconds, 0) if seconds is not None else "–"))
    header = ("learner, criterion", "env steps to the threshold, per run (–: never)", "runs that reached it", "median, learner's steps",
              "env steps before the learner", "median, charged", "median training seconds to it")
    notes = [f"Threshold: {se['threshold']:g} on the suite. A run that never reached it is censored, not counted as its budget; "
             "the median counts censored runs as later than every run that reached it. Charged: the learner's steps plus every env step "
             "the curriculum took before it (FSM demos and DAgger rollouts, each episode up to its fall; the offline critic is fitted "
             "on those same steps, and a critic warm-up, where configured, is part of PPO's steps). Training seconds: env steps to the "
             "threshold at the run's mean training rate on this machine, scoring excluded."]
    for criterion, what in (("success", "success"), ("walking", "walking success")):
        notes.append(f"Ratio PPO from scratch / PPO from BC on {what}: {ratio_cell(se[criterion]['ratio_ppo_only'])} (PPO steps only), "
                     f"{ratio_cell(se[criterion]['ratio_charged'])} (charged).")
        best = se[criterion].get("best")
        if best:
            scratch, curriculum = GROUP_LABELS[best["scratch"]], GROUP_LABELS[best["curriculum"]]
            notes.append(f"Best scratch learner / best curriculum on {what}, charged: {scratch} / {curriculum} = "
                         f"{ratio_cell(best['ratio_charged'], scratch, curriculum)}.")
    return table(header, rows) + "\n\n" + "\n".join(f"- {n}" for n in notes)


def training_runs_table(runs: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per training run of the race (``results/<learner>/<variant>-<seed>.json``, named ``<learner>_<variant>-<seed>``)."""
    header = ("run", "suite success at start", "at the end", "walking at the end", "env steps to the threshold, success",
              "walking", "env steps", "training env steps/s", "wall clock (s)", "of which scoring (s)")
    rows = [
        (name, fmt(r["success_suite_start"]), fmt(r["success_suite_final"]), fmt(r["walking_suite_final"]),
         steps_cell(r["steps_to_success_threshold"], r["env_steps"]), steps_cell(r["steps_to_walking_threshold"], r["env_steps"]),
         fmt(r["env_steps"]), fmt(r["train_steps_per_s"], 0), fmt(r["wall_clock_s"], 0), fmt(r.get("eval_wall_clock_s"), 0))
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


def gait_distribution_table(policies: Mapping[str, Mapping[str, Any]]) -> str:
    """Per policy and seed on the suite: the step length's and flight fraction's percentiles over the episodes, and the
    fraction of episodes that succeed and meet every walking bound but the step length (evaluation.json
    ``suite_gait_distribution``)."""
    rows = []
    for name, e in policies.items():
        d = e.get("suite_gait_distribution")
        if d is None:
            continue
        cells = [" / ".join(fmt(v, 2) for v in d[k]) if d[k] is not None else "–" for k in ("step_length_m", "flight_fraction")]
        rows.append((name, *cells, fmt(d["walking_but_step_length"])))
    percentiles = "/".join(str(q) for q in next(iter(policies.values())).get("suite_gait_distribution", {}).get("percentiles", []))
    return table(("policy", f"step length (m), percentiles {percentiles}", f"flight fraction, percentiles {percentiles}",
                  "episodes that miss walking on step length alone"), rows)


def sweep_table(policies: Mapping[str, Mapping[str, Any]], quantity: str, unit: str, key: str = "success") -> str:
    """Success (or walking success, ``key``) at each point of one sweep, per policy and seed."""
    values = next(iter(policies.values()))["sweeps"][quantity]["values"]
    rows = [(name, *(fmt(s, 2) for s in e["sweeps"][quantity][key])) for name, e in policies.items()]
    return table(("policy", *(f"{v:g} {unit}" for v in values)), rows)


ADR_UNITS = {"slope_deg": "deg", "push_impulse_ns": "N s", "friction_scale": "x", "torso_mass_scale": "x"}
"""The factors ADR moves (walker.adr.ADR_FACTORS) and their units, in table order."""


def adr_table(wide_runs: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per wide (ADR) run (``results/ppo_wide/wide-<seed>.json``): the range of each factor it trained on at
    the end, the widest it reached, and its cost."""
    header = ("run", *(f"{f} ({u}): final [widest]" for f, u in ADR_UNITS.items()), "env steps", "wall clock (s)",
              "of which boundary episodes (s)")
    rows = []
    for name, r in wide_runs.items():
        final, widest = r["ranges_final"], r["ranges_widest"]
        cells = [f"{final[f + '_low']:g} to {final[f + '_high']:g} [{widest[f + '_low']:g} to {widest[f + '_high']:g}]" for f in ADR_UNITS]
        rows.append((name, *cells, fmt(r["env_steps"]), fmt(r["wall_clock_s"], 0), fmt(r["boundary_eval_wall_clock_s"], 0)))
    first = next(iter(wide_runs.values()))
    start, limits = first["ranges_start"], first["limits"]
    note = ("Start: " + ", ".join(f"{f} {start[f + '_low']:g} to {start[f + '_high']:g}" for f in ADR_UNITS)
            + " (ppo.randomization); hard limits: " + ", ".join(f"{f} {limits[f + '_low']:g} to {limits[f + '_high']:g}" for f in ADR_UNITS) + ".")
    return table(header, rows) + "\n\n" + note


def envelope_map_table(entry: Mapping[str, Any], key: str = "walking") -> str:
    """One policy's slope x push map (evaluation.json ``envelope_map[group]``): walking success per cell."""
    pushes = entry["push_impulse_ns"]
    rows = [(f"{slope:g} deg", *(fmt(v, 2) for v in row)) for slope, row in zip(entry["slope_deg"], entry[key])]
    return table(("slope \\ push", *(f"{p:+g} N s" for p in pushes)), rows)


def report_markdown(
    summary: Mapping[str, Any], evaluation: Mapping[str, Any], race_runs: Mapping[str, Mapping[str, Any]],
    wide_runs: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
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
        "## Training runs\n\n" + training_runs_table(race_runs),
        "## MJX against native MuJoCo (robustness suite)\n\n" + transfer_table(policies),
        f"## Gait on the suite, episode by episode\n\nPercentiles over the {evaluation['suite_cases']} suite episodes (each until its end or fall); the last "
        "column counts the episodes that succeed and meet every walking bound but the step length (docs/protocol.md).\n\n"
        + gait_distribution_table(policies),
        "## Slope sweep (nominal friction and mass, no push)\n\nSuccess:\n\n" + sweep_table(policies, "slope_deg", "deg")
        + "\n\nWalking success:\n\n" + sweep_table(policies, "slope_deg", "deg", "walking"),
        "## Push sweep (nominal slope)\n\nSuccess:\n\n" + sweep_table(policies, "push_impulse_ns", "N s")
        + "\n\nWalking success:\n\n" + sweep_table(policies, "push_impulse_ns", "N s", "walking"),
    ]
    if wide_runs:
        parts.append("## Wide PPO: the training ranges ADR reached\n\n" + adr_table(wide_runs))
    for group, entry in evaluation.get("envelope_map", {}).items():
        parts.append(f"## Slope x push map: {GROUP_LABELS[group]} ({entry['run']}), walking success\n\n"
                     "Nominal friction and mass; push times as in the suite.\n\n" + envelope_map_table(entry))
    parts.append("## Where the time went\n\nWall clock, compile time and physics simulated, per stage of this run, against "
                 "`bench`'s physics rates: [timing.md](timing.md) (stage `timing`, which runs after this one; docs/benchmarks.md).")
    return "\n\n".join(parts) + "\n"


def peer_markdown(summary: Mapping[str, Any]) -> str:
    """``results/peer/comparison.md``: every group, the peer included, on success, walking, the race and wall clock."""
    race = summary["race"]
    header = ("policy", "success, suite (MJX)", "success, suite (native)", "walking, suite (MJX)", "walking, suite (native)",
              "median env steps to the threshold: success", "walking", "charged (success)", "runs that reached it (success)",
              "wall clock per run (s)", "of which scoring (s)")
    rows = []
    for g in GROUP_LABELS:
        if g not in summary:
            continue
        e = summary[g]
        cells = [with_spread(e, k) for k in ("success_suite", "success_suite_native", "walking_suite", "walking_suite_native")]
        r, rw = race["success"].get(g), race["walking"].get(g)
        if r is None:
            cells += ["", "", "", "", "", ""]
        else:
            cells += [steps_cell(r["median_steps"], r["budget"]), steps_cell(rw["median_steps"], rw["budget"]),
                      steps_cell(r["median_charged_steps"], r["budget"] + r["pre_env_steps"]), f"{r['reached']} of {r['runs']}",
                      fmt(r["wall_clock_s"], 0), fmt(r["scoring_wall_clock_s"], 0)]
        rows.append((GROUP_LABELS[g], *cells))
    lines = [
        "# Our PPO against a peer: Stable-Baselines3 PPO with its defaults",
        "Generated by `dvc repro peer/dvc.yaml` (stage `compare`) from `results/summary.json`, `results/ppo/*.json` and "
        "`results/peer/*.json`; do not edit by hand. Same env, budget, step grid, suite scorer and threshold "
        f"({race['threshold']:g}) for every PPO run; the medians count a run that never reached the threshold as later "
        "than every run that did.",
        table(header, rows),
    ]
    for criterion in ("success", "walking"):
        peer = GROUP_LABELS["peer_sb3"]
        lines.append(f"- {criterion}: peer / PPO from scratch "
                     f"{ratio_cell(race[criterion]['ratio_peer_to_scratch'], peer, 'PPO from scratch')}; peer / PPO from BC, charged "
                     f"{ratio_cell(race[criterion]['ratio_peer_to_bc_charged'], peer)} (> 1: ours needed fewer env steps)")
    return "\n\n".join(lines) + "\n"


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
