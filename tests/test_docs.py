"""The docs say what the committed results say: generated tables match the JSON they come from, links resolve."""

from __future__ import annotations

import json
import re
from pathlib import Path

from walker.passive.config import load_params
from walker.summary import LEARNERS
from walker.tables import README_BEGIN, README_END, headline_table, report_markdown, with_headline

REPO = Path(__file__).resolve().parent.parent


def _read(path: str) -> str:
    return (REPO / path).read_text()


def test_readme_headline_table_is_the_committed_summary():
    readme = _read("README.md")
    summary = json.loads(_read("results/summary.json"))
    block = readme[readme.index(README_BEGIN):readme.index(README_END)]
    assert headline_table(summary) in block, "README's headline table is stale: run `python -m walker.tables README.md`"
    assert with_headline(readme, summary) == readme


def test_report_md_is_generated_from_the_committed_results():
    params = load_params(REPO / "params.yaml")
    runs = {f"{learner}_{v}-{s}": json.loads(_read(f"results/{learner}/{v}-{s}.json"))
            for learner, variants in LEARNERS.items() for v in variants for s in params.seeds}
    wide = {f"wide-{s}": json.loads(_read(f"results/ppo_wide/wide-{s}.json")) for s in params.seeds}
    expected = report_markdown(json.loads(_read("results/summary.json")), json.loads(_read("results/evaluation.json")), runs, wide)
    assert _read("results/report.md") == expected


def test_readme_is_short_and_its_links_resolve():
    readme = _read("README.md")
    assert len(readme.splitlines()) <= 200
    for page in ["README.md", *(p.relative_to(REPO).as_posix() for p in (REPO / "docs").glob("*.md"))]:
        text = _read(page)
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if target.startswith("http"):
                continue
            assert (REPO / Path(page).parent / target).exists(), f"{page}: broken link {target}"


def test_no_code_comment_cites_a_file_outside_the_repository():
    stale = "DESIGN" + ".md"  # spelled apart so this file does not match itself
    for path in [*REPO.glob("walker/**/*.py"), *REPO.glob("pipeline/*.py"), *REPO.glob("tests/*.py")]:
        assert stale not in path.read_text(), f"{path}: cites {stale}; the design is docs/design.md"
