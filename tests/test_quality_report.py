"""The quality report after a refresh names every check, the quarantine and freshness."""

from pipelines.refresh import run_refresh
from pipelines.resources.client_spaces import SimulatedClientSpacesApi
from pipelines.schedules import EXTRACT_JOB_NAME
from pipelines.simulator import FaultConfig, SimClock
from tests.conftest import ANCHOR, FAST_RETRY, make_settings


def test_the_report_lists_checks_quarantine_reasons_and_freshness(tmp_path, small_world):
    settings = make_settings(tmp_path, INSIGHTS_QUARANTINE_MAX_SHARE="0.5")
    api = SimulatedClientSpacesApi(settings, world=small_world, clock=SimClock(start=ANCHOR),
                                   faults=FaultConfig(invalid_records=0.02), retry=FAST_RETRY)
    try:
        outcome = run_refresh(settings, api, job_name=EXTRACT_JOB_NAME)
    finally:
        api.close()
    report = (tmp_path / "reports" / "quality-latest.md").read_text()
    assert outcome.report_path.read_text() == report
    quarantined = outcome.metadata["landing/documents"]["quarantined"]
    assert quarantined > 0
    assert f"| documents | {outcome.metadata['landing/documents']['fetched']:,} |" in report
    assert "Top quarantine reasons:" in report and "category: unknown value" in report
    assert "landing/documents:quarantine_share: **FAILED (WARN)**" in report
    assert "landing/documents:landed_batch_expectations: passed" in report
    assert "No published data yet." in report  # freshness: nothing published by this job
