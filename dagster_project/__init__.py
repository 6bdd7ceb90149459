"""Customer scoring and segmentation warehouse: the Dagster code location."""
