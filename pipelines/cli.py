"""The `insights` console script: demo, refresh, serve, simulate (docs/operations.md)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.resources.settings_resource import InsightsSettings
from pipelines.settings import SettingsError, debug_enabled, load_settings

# Heavy libraries (Dagster, dbt, Great Expectations, httpx, DuckDB) are imported inside the
# commands that use them: `insights --help`, `insights serve` and a refresh's first progress
# line do not wait for them.
if TYPE_CHECKING:
    from pipelines.refresh import RefreshOutcome
    from pipelines.resources.client_spaces import ClientSpacesApi


def _refresh(settings: InsightsSettings, api: ClientSpacesApi, **job) -> RefreshOutcome:
    """Parse the dbt project if needed, then run a job's assets once, in this process."""
    from pipelines.dbt_manifest import ensure_manifest

    ensure_manifest()
    from pipelines.refresh import run_refresh  # builds the definitions from the manifest

    return run_refresh(settings, api, stream=sys.stdout, **job)


def _print(line: str = "") -> None:
    print(line, flush=True)


def _summary(outcome: RefreshOutcome) -> None:
    _print()
    _print(f"{'step':<22}{'fetched':>10}{'new':>10}{'quarantined':>13}")
    for key in ("landing/spaces", "landing/users", "landing/assignments", "landing/documents"):
        values = outcome.metadata.get(key)
        if values:
            _print(f"{key:<22}{values.get('fetched', 0):>10,}{values.get('new_versions', 0):>10,}"
                   f"{values.get('quarantined', 0):>13,}")
    unreadable = (outcome.metadata.get("landing/documents") or {}).get("spaces_unreadable") or []
    for space in unreadable:
        _print(f"  space {space['space_id']} not read: {space['status']}"
               + (f" ({space['error']})" if space.get("error") else ""))
    _print(f"checks: {outcome.checks_passed} passed, {len(outcome.warnings)} warning(s), "
           f"{len(outcome.failed_checks)} blocking failure(s)")
    for warning in outcome.warnings:
        _print(f"warning: check failed: {warning}")
    if outcome.report_path:
        _print(f"quality report: {outcome.report_path}")


def _finish(outcome: RefreshOutcome, settings: InsightsSettings) -> int:
    from pipelines.summary import serving_summary

    _summary(outcome)
    _print()
    if outcome.ok:
        for line in serving_summary(settings.get().serving_path):
            _print(line)
        _print()
        _print(f"Refresh finished in {outcome.seconds:.1f}s.")
        return 0
    from pipelines.failures import failure_lines

    for line in failure_lines(outcome.step_causes, len(outcome.skipped_steps),
                              outcome.failed_checks, outcome.held,
                              _published(outcome.published, settings)):
        _print(line)
    return 1


def _published(published: bool, settings: InsightsSettings) -> str:
    if published:
        return "the serving database was published before the failure"
    from pipelines.read_model.queries import data_as_of_in

    as_of = data_as_of_in(settings.get().serving_path)
    kept = f" (it still serves data as of {as_of:%Y-%m-%d %H:%M} UTC)" if as_of else ""
    return (f"nothing new was published{kept}. Running `insights refresh` again resumes "
            "safely.")


def cmd_refresh(args: argparse.Namespace) -> int:
    settings = InsightsSettings(load_settings())
    settings.get().require_api()
    _print(f"Refreshing from {settings.get().api_url} into {settings.get().home}")
    from pipelines.resources.client_spaces import ClientSpacesApi

    api = ClientSpacesApi(settings)
    code = _finish(_refresh(settings, api), settings)
    if not args.watch:
        return code
    from pipelines.live import watch

    return watch(settings, api, lambda: _finish(_refresh(settings, api), settings), _print)


def cmd_rebuild(_args: argparse.Namespace) -> int:
    from pipelines.assets.warehouse import FULL_REFRESH_TAG
    from pipelines.resources.client_spaces import ClientSpacesApi
    from pipelines.schedules import REBUILD_JOB_NAME

    settings = InsightsSettings(load_settings())
    _print(f"Rebuilding every model from the landing zone in {settings.get().landing_dir}")
    outcome = _refresh(settings, ClientSpacesApi(settings), job_name=REBUILD_JOB_NAME,
                       tags={FULL_REFRESH_TAG: "true"})
    return _finish(outcome, settings)


def cmd_reextract(args: argparse.Namespace) -> int:
    from pipelines.landing.marks import MarkStore

    settings = load_settings()
    marks = MarkStore(settings.state_dir)
    mark = marks.get(args.space)
    if mark is None:
        _print(f"Space {args.space} has no high-water mark: the next refresh reads it in full.")
        return 0
    with settings.writing(on_wait=_print):  # a running extraction may be moving it
        marks.reset(args.space)
    _print(f"Space {args.space}: high-water mark {mark.isoformat()} removed. The next "
           "`insights refresh` re-reads the space in full; versions already landed are "
           "skipped, missing ones land.")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from pipelines.held_batches import HoldStore
    settings = load_settings()
    with settings.writing(on_wait=_print):
        released = HoldStore(settings.landing_dir).release(args.batch, by=args.by)
    if not released:
        print(f"insights: batch {args.batch} is not held (see `insights status`)",
              file=sys.stderr)
        return 1
    for hold in released:
        _print(f"Released batch {hold.batch_id} ({hold.entity}), held since "
               f"{hold.held_at:%Y-%m-%d %H:%M} UTC for: {hold.reason}")
    _print("Its rows are published by the next `insights refresh` or `insights rebuild`.")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from pipelines import status

    report = status.collect(load_settings())
    if args.json:
        _print(json.dumps(report, indent=2))
    else:
        for line in status.render(report):
            _print(line)
    return 0


def cmd_compact(_args: argparse.Namespace) -> int:
    from pipelines.landing.compaction import compact_landing

    settings = load_settings()
    _print(f"Compacting the landing zone in {settings.landing_dir}")
    report = compact_landing(settings.landing_dir, settings.state_dir, progress=_print)
    for folder, reason in report.skipped.items():
        _print(f"  {folder} left as it is: {reason}")
    _print(report.summary())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.resources.client_spaces import SimulatedClientSpacesApi
    from pipelines.simulator import SimClock, WorldConfig, build_world

    settings = InsightsSettings(load_settings())
    # The world is anchored at today's midnight UTC (the same firm all day, so a second demo
    # is an incremental refresh); the simulated clock runs from the real 'now'.
    config = WorldConfig(seed=args.seed, clients=args.clients, history_days=args.history_days)
    now = datetime.now(UTC).replace(microsecond=0)
    _print(f"Generating a simulated firm: {args.clients} clients, {args.history_days} days of "
           f"history (seed {args.seed})...")
    started = time.monotonic()
    world = build_world(config)
    _print(f"  generated in {time.monotonic() - started:.1f}s")
    api = SimulatedClientSpacesApi(settings, world=world, clock=SimClock(start=now))
    try:
        _print(f"Simulator listening at {api.server.url}")
        _print(f"Refreshing into {settings.get().home}")
        code = _finish(_refresh(settings, api), settings)
    finally:
        api.close()
    if code == 0:
        _print()
        _print("To open the Insights page on these figures, run")
        _print("  insights serve --demo")
        _print("and open http://127.0.0.1:8000/demo in a browser (demo mode: pick a team member).")
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from pipelines.web.app import create_app

    settings = load_settings()
    source = ("PostgreSQL (INSIGHTS_SERVE_POSTGRES_DSN)" if settings.serve_postgres_dsn
              else str(settings.serving_path))
    _print(f"Insights page reading {source}")
    if args.demo:
        _print("DEMO MODE, for trying out only: anyone can pick any team member.")
        _print(f"Open http://{args.host}:{args.port}/demo in a browser.")
    else:
        _print(f"Open http://{args.host}:{args.port}/ through the proxy that sets the "
               f"{settings.serve_identity_header} header.")
    uvicorn.run(create_app(settings, demo=args.demo), host=args.host, port=args.port,
                log_level="warning")
    return 0


def cmd_access_audit(args: argparse.Namespace) -> int:
    from pipelines import access_audit

    settings = load_settings()
    try:
        rows = access_audit.audit_rows(settings.serving_path, member=args.member,
                                       client=args.client, include_denied=args.all)
    except access_audit.AuditError as error:
        print(f"insights: {error}", file=sys.stderr)
        return 1
    if args.csv:
        access_audit.write_csv(rows, args.csv)
        _print(f"{len(rows)} row(s) written to {args.csv}")
    else:
        access_audit.print_report(rows, _print)
    if settings.postgres_dsn is None:
        return 0
    roles = access_audit.postgres_roles(settings.postgres_dsn)
    problems = access_audit.role_problems(access_audit.team_members(settings.serving_path), roles)
    _print(f"PostgreSQL: {sum(r.can_login for r in roles.values())} of {len(roles)} member "
           "role(s) can log in.")
    for problem in problems:
        _print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from pipelines.dbt_docs import DocsError, generate_docs

    settings = load_settings()
    _print("Generating the dbt documentation site from the warehouse...")
    try:
        page = generate_docs(settings, args.output or settings.home / "docs")
    except DocsError as error:
        print(f"insights: {error}", file=sys.stderr)
        return 1
    _print(f"Open {page} in a browser (one self-contained file).")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from pipelines.digest.send import UnknownMember, compose, send

    settings = load_settings()
    try:
        digests = compose(settings, args.member)
    except UnknownMember as error:
        print(f"insights: {error}", file=sys.stderr)
        return 1
    for digest in digests:
        if digest.clients:
            _print(digest.title())
            for line in digest.lines():
                _print(f"  {line}")
    _print(f"{sum(1 for d in digests if d.clients)} of {len(digests)} member(s) have clients "
           f"at deadline risk.")
    if not args.dry_run:
        send(settings, digests, progress=_print)
    return 1 if any(d.errors for d in digests) else 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from pipelines.simulator import cli as simulator_cli

    return simulator_cli.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="insights",
        description="Client document insights for accounting firms: extract, transform, publish.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="print the full traceback of a failure (also INSIGHTS_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a full refresh against a built-in simulated firm")
    demo.add_argument("--clients", type=int, default=150, help="clients in the firm (150)")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the firm (7)")
    demo.add_argument("--history-days", type=int, default=730, help="days of history (730)")
    demo.set_defaults(handler=cmd_demo)
    refresh = commands.add_parser("refresh", help="one complete run against the configured API")
    refresh.add_argument("--watch", action="store_true",
                         help="then keep asking the API for changes and refresh when there are "
                              "(live mode without the Dagster daemon; every "
                              "INSIGHTS_LIVE_INTERVAL_SECONDS)")
    refresh.set_defaults(handler=cmd_refresh)
    rebuild = commands.add_parser(
        "rebuild", help="rebuild all models and the serving database from the landing zone"
    )
    rebuild.set_defaults(handler=cmd_rebuild)
    reextract = commands.add_parser(
        "reextract", help="make the next refresh re-read one space from scratch"
    )
    reextract.add_argument("--space", required=True, help="the client space id")
    reextract.set_defaults(handler=cmd_reextract)
    release = commands.add_parser(
        "release", help="let a batch the quality gate held into the marts (next refresh)"
    )
    release.add_argument("batch", help="the held batch id (`insights status` lists them)")
    release.add_argument("--by", default=_user(), help="who decided (recorded with the hold)")
    release.set_defaults(handler=cmd_release)
    status = commands.add_parser("status", help="last refresh, data age, held batches, alerts")
    status.add_argument("--json", action="store_true", help="the same as JSON")
    status.set_defaults(handler=cmd_status)
    compact = commands.add_parser(
        "compact", help="merge the small landing files into one file per folder and month"
    )
    compact.set_defaults(handler=cmd_compact)
    audit = commands.add_parser(
        "access-audit", help="who can see which client (from the published marts)"
    )
    audit.add_argument("--member", help="only this member (e-mail or user id)")
    audit.add_argument("--client", help="only this client (id, or part of its name)")
    audit.add_argument("--all", action="store_true",
                       help="also list assignments that give no access, with the reason")
    audit.add_argument("--csv", type=Path, help="write the rows to this CSV file instead")
    audit.set_defaults(handler=cmd_access_audit)
    docs = commands.add_parser("docs", help="write the dbt documentation site (one HTML file)")
    docs.add_argument("--output", type=Path,
                      help="folder for index.html (default: $INSIGHTS_HOME/docs)")
    docs.set_defaults(handler=cmd_docs)
    serve = commands.add_parser(
        "serve", help="serve the Insights web page over the serving database (read-only)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument("--demo", action="store_true",
                       help="demo mode, for trying out only: pick any team member, no SSO header")
    serve.set_defaults(handler=cmd_serve)
    digest = commands.add_parser(
        "digest", help="send each member the clients at risk of missing a filing deadline")
    digest.add_argument("--member", help="only this member (e-mail)")
    digest.add_argument("--dry-run", action="store_true", help="print the digests, send nothing")
    digest.set_defaults(handler=cmd_digest)
    simulate = commands.add_parser("simulate", help="serve the simulated Client Spaces API")
    from pipelines.simulator import cli as simulator_cli

    simulator_cli.add_arguments(simulate)
    simulate.set_defaults(handler=cmd_simulate)
    return parser


def entry() -> None:
    """The console script: `main` in a process tuned for a short life (short_lived.py)."""
    from pipelines.short_lived import collect_less_often, skip_the_final_collection

    collect_less_often()
    code = main()
    skip_the_final_collection()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Great Expectations imports pyspark (installed for the Spark target), which warns about
    # pandas 3 on import; the pipeline never hands pandas frames to Spark.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    # Libraries that log at INFO on their own loggers must not flood the progress lines.
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s",
                        handlers=[handler])
    try:
        return args.handler(args)
    except SettingsError as error:
        print(f"insights: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("insights: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except Exception as error:  # noqa: BLE001 (one line for the user, the rest on --debug)
        return _unexpected(args, error)


def _unexpected(args: argparse.Namespace, error: Exception) -> int:
    """A failure that escaped the run itself (e.g. its own storage on a full disk)."""
    import traceback

    from pipelines.failures import chain_of_exception, describe
    from pipelines.progress import CURRENT

    try:
        debug = args.debug or debug_enabled()
        home = load_settings().home
    except SettingsError:
        debug, home = args.debug, Path.cwd()
    if debug:
        traceback.print_exc()
    step = f" in {CURRENT['step']}" if CURRENT["step"] else ""
    cause = describe(chain_of_exception(error), home)
    print(f"insights: {args.command} FAILED{step}: {cause}; nothing new was published "
          f"(a publish replaces the serving database whole or not at all)."
          + ("" if debug else " Run with --debug for the traceback."), file=sys.stderr)
    return 1


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())

