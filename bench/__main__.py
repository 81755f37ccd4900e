"""`make bench`: run every benchmark and print a Markdown report (copy it into docs/benchmarks.md)."""

from __future__ import annotations

import importlib
import sys

from bench.common import OUT, Report, tune_mariadb

# Each module exposes run_*(report) functions; order matters (the import fills the 1M database).
SUITES = [
    ("bench.importbench", ["run_import", "run_lookup", "run_migration"]),
    ("bench.webhook", ["run"]),
    ("bench.verifybench", ["run"]),
    ("bench.reminderbench", ["run"]),
]


def main(selected: list[str]) -> None:
    report = Report(database=tune_mariadb())
    print(report.database, flush=True)
    for module_name, functions in SUITES:
        if selected and not any(s in module_name for s in selected):
            continue
        module = importlib.import_module(module_name)
        for name in functions:
            getattr(module, name)(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.md").write_text(report.markdown())
    print(report.markdown())


if __name__ == "__main__":
    main(sys.argv[1:])
