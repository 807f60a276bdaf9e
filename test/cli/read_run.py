"""Reads every table of a `shatter run` output with pyarrow and with polars (the readers users
have) and prints what the interop test compares with the engine: schemas, row counts, values."""
import json
import sys

import polars as pl
import pyarrow.feather as feather

out = sys.argv[1]
result = {}
for table in ("runs", "curves", "neurons", "data"):
    arrow = feather.read_table(f"{out}/{table}.arrow")
    frame = pl.read_ipc(f"{out}/{table}.arrow", memory_map=False)
    assert frame.to_dicts() == arrow.to_pylist(), f"{table}: polars and pyarrow disagree"
    result[table] = {
        "schema": {field.name: str(field.type) for field in arrow.schema},
        "list_children": {field.name: field.type.value_field.name for field in arrow.schema if str(field.type).startswith("list")},
        "rows": arrow.to_pylist(),
        "polars_dtypes": {name: str(dtype) for name, dtype in frame.schema.items()},
    }
print(json.dumps(result))
