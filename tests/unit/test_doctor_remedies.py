"""``reelway doctor`` has a cause and a remedy for every code a video or a request can end
with, so no failure is explained with a shrug."""

from __future__ import annotations

from reelway import error_codes
from reelway.cli import remedies


def test_every_failure_code_a_video_can_end_with_has_a_remedy() -> None:
    codes = remedies.failure_codes()
    assert {"upstream_auth_failed", "worker_lost", "no_engine_available"} <= codes
    missing = codes - set(remedies.FAILURES)
    assert not missing, f"add a remedy to remedies.FAILURES for {sorted(missing)}"


def test_every_request_error_code_has_a_remedy() -> None:
    missing = remedies.request_codes() - set(remedies.REQUESTS)
    assert not missing, f"add a remedy to remedies.REQUESTS for {sorted(missing)}"


def test_no_remedy_names_a_code_that_does_not_exist() -> None:
    assert set(remedies.FAILURES) <= remedies.failure_codes()
    assert set(remedies.REQUESTS) <= remedies.request_codes()


def test_a_recorded_failure_has_a_cause() -> None:
    for code in remedies.failure_codes():
        assert error_codes.job_failure_for(code, "").message.strip(), code


def test_unknown_codes_still_get_advice() -> None:
    assert remedies.for_failure("something_new")
    assert "server log" in remedies.for_request(None, 502)
