"""Reads finished tables the way users do (pyarrow.feather and polars) and prints what it saw as JSON.

usage: python read_tables.py DIR TABLE...            every column's values
       python read_tables.py --summary DIR TABLE...  row count and rows per task_id only
"""
import json
import sys

import polars as pl
import pyarrow as pa
import pyarrow.feather as feather


def arrow_field(field):
    child = field.type.value_field.name if pa.types.is_list(field.type) else None
    return [field.name, str(field.type), child, pa.types.is_dictionary(field.type)]


def summary(out_dir, tables):
    seen = {}
    for name in tables:
        path = f"{out_dir}/{name}.arrow"
        table = feather.read_table(path)
        frame = pl.read_ipc(path)
        counts = frame.group_by("task_id").len()
        seen[name] = {
            "pyarrow_rows": table.num_rows,
            "polars_rows": frame.height,
            "rows_per_task": dict(zip(counts["task_id"].to_list(), counts["len"].to_list())),
        }
    json.dump(seen, sys.stdout)


def main():
    if sys.argv[1] == "--summary":
        return summary(sys.argv[2], sys.argv[3:])
    out_dir, tables = sys.argv[1], sys.argv[2:]
    seen = {}
    for name in tables:
        path = f"{out_dir}/{name}.arrow"
        table = feather.read_table(path)
        frame = pl.read_ipc(path)
        seen[name] = {
            "pyarrow": {
                "schema": [arrow_field(f) for f in table.schema],
                "rows": table.num_rows,
                "columns": {c: table.column(c).to_pylist() for c in table.column_names},
            },
            "polars": {
                "schema": [[c, str(t)] for c, t in frame.schema.items()],
                "rows": frame.height,
                "columns": {c: frame[c].to_list() for c in frame.columns},
            },
        }
    json.dump(seen, sys.stdout)


main()
