"""Rewrite each stage's .py deps (and the model files of the bodies it loads) and its params in every pipeline's dvc.yaml (tests/test_dvc_deps.PIPELINES) to what the code says.

The .py deps become the transitive closure of project modules the stage's script imports and the params
its stage module's PARAMS (the rules tests/test_dvc_deps.py checks); other deps, comments and order stay.
Run from the repository root after adding an import or a params key to a stage: python scripts/sync_dvc_deps.py
"""
import importlib
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_dvc_deps import BODY_PLUGINS, PIPELINES, script_of, stage_closure, stages

for pipeline in PIPELINES:
    lines = pipeline.read_text().splitlines()
    out, i, current = [], 0, None
    st = stages(pipeline)
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^  (\w+):\s*$", line)
        if m and m.group(1) in st:
            current = m.group(1)
        dm = re.match(r"^(\s*)deps:\s*$", line)
        pm = re.match(r"^(\s*)params:\s*$", line)
        if (dm or pm) and current:
            indent = (dm or pm).group(1)
            out.append(line); i += 1
            block = []
            while i < len(lines) and re.match(rf"^{indent}  \s*- ", lines[i]):  # nested: a params file's keys
                block.append(lines[i]); i += 1
            if dm:
                closure = sorted(stage_closure(st[current]))
                keep = [b for b in block if not b.split("#")[0].strip().endswith(".py")]
                listed = {b.split("#")[0].strip().lstrip("- ").strip() for b in keep}
                for plugin in BODY_PLUGINS:  # a body's model files, for a stage that imports its model loader
                    body = importlib.import_module(plugin).BODY
                    if body.model_module in closure:
                        keep += [f"{indent}  - {f}" for f in body.data_files if f not in listed]
                script = [c for c in closure if c.startswith("pipeline/")]
                lib = [c for c in closure if not c.startswith("pipeline/")]
                out += [f"{indent}  - {c}" for c in script] + keep + [f"{indent}  - {c}" for c in lib]
            else:
                mod = importlib.import_module("walker.stages." + script_of(st[current]).stem)
                for entry in mod.PARAMS:
                    if isinstance(entry, dict):  # another params file: {file: keys}
                        for params_file, keys in entry.items():
                            out += [f"{indent}  - {params_file}:"] + [f"{indent}      - {k}" for k in keys]
                    else:
                        out.append(f"{indent}  - {entry}")
            continue
        out.append(line); i += 1
    text = "\n".join(out) + "\n"
    if text != pipeline.read_text():  # untouched files keep their bytes (a running `dvc repro` may be reading them)
        pipeline.write_text(text)
        print("rewrote", pipeline)
