"""Benchmarks (``nox -s bench``). Figures are printed as ratios against baselines measured in the
same run, on the same machine."""
