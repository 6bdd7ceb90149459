"""Performance benchmarks against raw DuckDB baselines measured in the same run.

`python -m benchmarks` (or `make bench`) runs both; see `ingestion.py` and `scoring.py`
for what each measures and why its baseline is fair. Ratios only: no timing assertion.
"""
