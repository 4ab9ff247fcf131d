"""Engine backends: the built-in engine (the runner, once the evaluator lands) and the ``sentinel`` binary.

Each backend turns a policy set or test paths into a :class:`tfc_sentinel.report.RunResult`.
"""
