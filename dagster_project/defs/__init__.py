"""Dagster definitions, one module per concern; `definitions.py` merges them."""
