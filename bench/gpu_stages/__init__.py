"""The stages of bench/gpu_check.py, one module each, on the package's own run path.

`check.Check` is the one object the stages share: the output folder, the deadline, the plan, the figures so far.
`plan.py` says what to measure (FULL on a GPU, TINY for the CPU dry run); `run.py` runs the stages in order,
each only if its estimate fits the time left. To add a stage: a function `stage_<name>(check)` in its own module
here, which writes its CSV under `check.out` and calls `check.section(title, markdown)`; a line for it in
`run.py`'s list, with its minimum time in the plans' `estimates`; its output named in gpu_check.py's docstring
and in the dry run's test (tests/test_gpu_check.py). docs/architecture.md says the same at more length.
"""
