"""`python -m dagster_project.demo --out data/landing`: see `cli.py`."""

from .cli import main

if __name__ == "__main__":
    main()
