"""One module per DVC stage: orchestration only (read inputs, call the library, write outputs).

Each ``pipeline/<stage>.py`` script parses its argv, loads ``params.yaml`` and
calls ``walker.stages.<stage>.run``. Each module's ``PARAMS`` names the
``params.yaml`` keys the stage reads; ``dvc.yaml`` lists exactly those
(``tests/test_dvc_deps.py`` checks both that and the code deps).
"""
