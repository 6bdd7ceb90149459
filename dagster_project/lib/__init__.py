"""Pure helpers (no Dagster wiring): parsing, loading, checking, publishing."""
