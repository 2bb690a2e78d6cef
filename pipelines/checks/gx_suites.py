"""Run the Great Expectations suites in `expectations/` on Polars frames.

The suites are declarative GX 1.x JSON files (the format `ExpectationSuite.to_json_dict()`
writes). They run with an ephemeral, in-memory GX context on a pandas frame built from Arrow
with `pd.ArrowDtype` columns: timestamps stay `timestamp[us, tz=UTC]`, dates `date32`,
nullable integers `int64` and decimals `decimal128`, so nothing is coerced to float or object
on the way (numpy-backed pandas would turn an integer column with nulls into float64 and a
date into datetime64). GX sees the Python type of each Arrow type, so a suite says
`type_: "datetime"` / `"date"` / `"int"` / `"bool"` / `"str"`. List columns (users' `roles`)
are handed to GX as comma-joined text, since GX has no list expectations: an empty list
becomes "" and is caught by a regex.

Suite parameters (`{"$PARAMETER": "max_received_at"}`) are supplied per validation; pass a
timezone-aware `datetime` for timestamp bounds (`landed_documents` needs `max_received_at`:
the latest acceptable `received_at`, i.e. now plus a small clock skew). A parameter the suite
needs but the call does not supply is an error, not a silent pass.

The landed suites describe the rows one run landed: `landed_documents` runs once over the new
rows of every space together (`LandingZone.batch_frames`; `space_id` is a column; that each
file holds one space is the landing's own guarantee, see LandingZone.land_documents), never on
the zero-row schema file.

The context and the parsed suites are built once per process and reused; validation holds a
lock because a GX context is not thread-safe. GX's progress bars are off and its loggers are
held at WARNING.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import threading
import warnings
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"
_SAMPLE_VALUES = 5
_lock = threading.Lock()


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str  # the GX expectation type, e.g. expect_column_values_to_be_in_set
    column: str | None  # the column; "a,b" for column lists and pairs; None for table checks
    unexpected_count: int | None
    element_count: int | None
    detail: str  # the rule (from the suite's meta) and what was observed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int  # expectations run
    failed: list[FailedExpectation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "success": self.success, "evaluated": self.evaluated,
                "failed": [f.to_dict() for f in self.failed]}

    def failed_names(self) -> list[str]:
        """`expectation(column)` per failure, for messages and assertions."""
        return [f"{f.expectation}({f.column})" if f.column else f.expectation
                for f in self.failed]


def suite_names() -> list[str]:
    return sorted(path.stem for path in SUITES_DIR.glob("*.json"))


@cache
def _suite_document(name: str) -> dict[str, Any]:
    path = SUITES_DIR / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"no expectation suite {name!r} in {SUITES_DIR} "
                       f"(known: {', '.join(suite_names())})")
    return json.loads(path.read_text())


@cache
def _gx():
    """Great Expectations, imported on first use, without pyspark and without analytics.

    GX imports pyspark whenever it is installed (it is, for the Spark dbt target), which
    costs seconds and prints a pandas warning; the suites here run on pandas only. Where
    pyspark is already loaded (a Spark session in this process) it is left alone.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # read by GX when it imports
    _defer_scipy_stats()
    hidden = "pyspark" not in sys.modules
    if hidden:
        sys.modules["pyspark"] = None  # an ImportError for GX's optional import
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import great_expectations
    finally:
        if hidden and sys.modules.get("pyspark", 0) is None:
            del sys.modules["pyspark"]
    return great_expectations


def _defer_scipy_stats() -> None:
    """Load scipy.stats on first use rather than with GX (0.7 of GX's 2.2 s import, measured).

    GX's KL-divergence and KS-test expectations import it at module level; no suite here uses
    them, and should one, the module loads the moment it is first used. It is also set on the
    `scipy` package: `from scipy import stats` then finds it without an import, whose check of
    the module's state would load it at once."""
    if "scipy.stats" in sys.modules:
        return
    try:
        import scipy
    except ImportError:
        return
    spec = importlib.util.find_spec("scipy.stats")
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["scipy.stats"] = module
    spec.loader.exec_module(module)
    scipy.stats = module


def load_suite(name: str):
    """A fresh `gx.ExpectationSuite` from `expectations/<name>.json`."""
    gx = _gx()
    document = dict(_suite_document(name))
    document.pop("id", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gx.ExpectationSuite(**document)


def suite_parameters(name: str) -> set[str]:
    """The `$PARAMETER` names a suite needs at validation time."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$PARAMETER" in node:
                found.add(node["$PARAMETER"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_suite_document(name)["expectations"])
    return found


@cache
def _batch_definition():
    """One ephemeral context with one pandas dataframe asset, built once per process."""
    gx = _gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.execution_engine import pandas_execution_engine

    for logger in ("great_expectations", "great_expectations.core", "tqdm"):
        logging.getLogger(logger).setLevel(logging.WARNING)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    # GX fingerprints every pandas batch under 1 GB for its batch markers by hashing all
    # values; on Arrow timestamp columns that converts each value to a Python object and
    # costs seconds per 100k rows, twice per validation. The fingerprint is metadata only.
    pandas_execution_engine.HASH_THRESHOLD = 0
    source = context.data_sources.add_pandas("pipelines")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """The frame as GX sees it: Arrow-backed pandas columns, lists as comma-joined text."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    if lists:
        frame = frame.with_columns(pl.col(name).cast(pl.List(pl.String)).list.join(",")
                                   for name in lists)
    # one chunk per column: Arrow's take on a many-chunked column concatenates it first
    return frame.rechunk().to_arrow().to_pandas(types_mapper=pd.ArrowDtype)


def _columns_read(expectation: dict[str, Any]) -> frozenset[str] | None:
    """The columns one expectation reads (its own and its row condition's), or None when it
    needs the whole table (table-level expectations, text row conditions)."""
    if expectation["type"].startswith("expect_table_"):
        return None
    kwargs = expectation["kwargs"]
    found = set()
    for key in ("column", "column_A", "column_B"):
        if key in kwargs:
            found.add(kwargs[key])
    found.update(kwargs.get("column_list") or [])

    def condition_columns(node: Any) -> bool:
        if isinstance(node, dict):
            if isinstance(node.get("column"), dict) and "name" in node["column"]:
                found.add(node["column"]["name"])
            return all(condition_columns(value) for value in node.values()
                       if isinstance(value, dict | list))
        if isinstance(node, list):
            return all(condition_columns(value) for value in node)
        return True

    condition = kwargs.get("row_condition")
    if isinstance(condition, str) or not condition_columns(condition or {}) or not found:
        return None
    return frozenset(found)


@cache
def _suite_parts(name: str) -> list[tuple[frozenset[str] | None, Any, list[int]]]:
    """The suite split by the columns its expectations read: (columns, sub-suite, positions).

    GX's pandas engine filters and copies the whole frame for every row condition, null
    filter and unexpected-row lookup; on the landed documents (25 columns, the raw payload
    ~730 bytes a row) those copies were 70% of the suite's time. Each expectation sees exactly
    the rows and columns it reads either way, so its outcome is the same."""
    gx = _gx()
    document = {k: v for k, v in _suite_document(name).items() if k != "id"}
    groups: dict[frozenset[str] | None, list[int]] = {}
    for position, expectation in enumerate(document["expectations"]):
        groups.setdefault(_columns_read(expectation), []).append(position)
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for columns, positions in groups.items():
            expectations = [document["expectations"][i] for i in positions]
            suite = gx.ExpectationSuite(**{**document, "name": f"{name}/{len(parts)}",
                                           "expectations": expectations})
            parts.append((columns, suite, positions))
    return parts


def validate_frame(
    suite_name: str, frame: pl.DataFrame, parameters: dict[str, Any] | None = None
) -> SuiteOutcome:
    """Run one suite on one frame; every expectation is evaluated, failures are listed."""
    parameters = dict(parameters or {})
    missing = suite_parameters(suite_name) - set(parameters)
    if missing:
        raise ValueError(f"suite {suite_name!r} needs parameter(s) {', '.join(sorted(missing))}")
    naive = [k for k, v in parameters.items() if isinstance(v, datetime) and v.tzinfo is None]
    if naive:
        raise ValueError(f"parameter(s) {', '.join(naive)} must be timezone-aware datetimes")
    data = to_pandas(frame)
    success, evaluated, failed = True, 0, []
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for columns, suite, positions in _suite_parts(suite_name):
            if columns is None or not columns <= set(data.columns):
                part = data  # a missing column fails as it would on the whole frame
            else:
                part = data[[c for c in data.columns if c in columns]]
            batch = _batch_definition().get_batch(batch_parameters={"dataframe": part})
            result = batch.validate(suite, expectation_parameters=parameters,
                                    result_format={"result_format": "BASIC",
                                                   "partial_unexpected_count": _SAMPLE_VALUES})
            success = success and bool(result.success)
            evaluated += len(result.results)
            failed += [(position, _failure(item))
                       for position, item in zip(positions, result.results, strict=True)
                       if not item.success]
    return SuiteOutcome(suite=suite_name, success=success, evaluated=evaluated,
                        failed=[failure for _, failure in sorted(failed, key=lambda f: f[0])])


def _failure(item) -> FailedExpectation:
    config = item.expectation_config
    kwargs = config.kwargs
    if "column" in kwargs:
        column = kwargs["column"]
    elif "column_list" in kwargs:
        column = ",".join(kwargs["column_list"])
    elif "column_A" in kwargs:
        column = f"{kwargs['column_A']},{kwargs['column_B']}"
    else:
        column = None
    outcome = item.result or {}
    rule = (config.meta or {}).get("rule") or config.type
    if item.exception_info and item.exception_info.get("raised_exception"):
        observed = f"could not be evaluated: {item.exception_info.get('exception_message')}"
    elif "unexpected_count" in outcome:
        sample = [_plain(value) for value in outcome.get("partial_unexpected_list") or []]
        observed = (f"{outcome['unexpected_count']} of {outcome.get('element_count')} "
                    f"rows unexpected, e.g. {sample[:_SAMPLE_VALUES]}")
    else:
        observed = f"observed {_plain(outcome.get('observed_value'))}"
        if outcome.get("details"):
            observed += f" ({_plain(outcome['details'])})"
    return FailedExpectation(
        expectation=config.type,
        column=column,
        unexpected_count=_int_or_none(outcome.get("unexpected_count")),
        element_count=_int_or_none(outcome.get("element_count")),
        detail=f"{rule}: {observed}",
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _plain(value: Any) -> Any:
    """JSON-friendly rendering of a value GX reports (timestamps, decimals, tuples)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)
