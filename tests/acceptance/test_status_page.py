"""The public status page against a real ``reelway serve``: a fake provider fails until its
circuit breaker opens (an ongoing incident, the engine down), then answers again (the
incident ends); ``/status.json`` through plain HTTP on SQLite and PostgreSQL, the page in
headless Chromium (the dashboard test's driver), and the operator's switches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import backends, harness, waiting
from tests.acceptance.conftest import finished, sdk_client
from tests.acceptance.test_dashboard import ARTIFACTS, browser, text, wait
from tests.fake_provider import REMOTE, catalog_for
from tests.fakes import server as fakes
from tests.fakes.openai import FakeOpenAI

__all__ = ["browser"]  # the dashboard test's Chromium driver, a fixture of this module too

KEY = "sk-status-upstream-key"
PROJECT = "status-secret-project"
PROMPT = "status-secret-prompt of a lighthouse"
COOLDOWN_SECONDS = 15
"""Long enough for the page to show the open breaker before a probe may close it."""
CACHE_SECONDS = 5.0
DAYS = 90


class Scenario:
    """A server whose model ``remote`` routes to ``flaky`` then ``backup`` (two fakes)."""

    def __init__(self, folder: Path, kind: str, clip: bytes, env: dict[str, str]) -> None:
        self.flaky = FakeOpenAI(clip, api_key=KEY, offer=REMOTE)
        self.backup = FakeOpenAI(clip, api_key=KEY, offer=REMOTE)
        config = folder / "config.toml"
        config.write_text(
            f'[engines.flaky]\ntype = "openai_compat"\nbase_url = "{self.flaky.v1}"\n'
            f'api_key = "{KEY}"\ntimeout = 5\nbreaker_failures = 2\n'
            f"breaker_cooldown_seconds = {COOLDOWN_SECONDS}\n"
            f'[engines.backup]\ntype = "openai_compat"\nbase_url = "{self.backup.v1}"\n'
            f'api_key = "{KEY}"\n'
            '[models."remote"]\nroute = ["flaky", "backup"]\n'
        )
        self.deployment = backends.Deployment(kind, folder / "data")
        self.env = {
            "REELWAY_WORKERS": "2",
            "REELWAY_AUTH_CACHE_SECONDS": "0",
            "REELWAY_POLL_AFTER_MS": "200",
            "REELWAY_CATALOG": str(catalog_for("flaky", folder / "catalog.toml")),
            "REELWAY_CONFIG": str(config),
            "REELWAY_ROUTE_PASSES": "1",
            "REELWAY_REMOTE_POLL_SECONDS": "0.1",
            "REELWAY_CLAIM_POLL_SECONDS": "0.1",
            "REELWAY_STATUS_PAGE_DAYS_CACHE_SECONDS": "0",  # the day bars follow the test
            **env,
        }

    def close(self) -> None:
        self.flaky.close()
        self.backup.close()
        self.deployment.close()


@pytest.fixture
def scenario(
    request: pytest.FixtureRequest, tmp_path: Path, clip: bytes, postgres_missing: str | None
) -> Iterator[Scenario]:
    kind = getattr(request, "param", "sqlite")
    if kind == "postgres" and postgres_missing:
        pytest.skip(postgres_missing)
    found = Scenario(tmp_path, kind, clip, {})
    yield found
    found.close()


def status(server: harness.Server) -> dict[str, Any]:
    """``/status.json`` with no key at all."""
    answer = httpx.get(f"{server.root}/status.json", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    return body


def components(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in body["components"]}


def make_video(server: harness.Server, key: str) -> None:
    with sdk_client(server, key) as client:
        video = client.videos.create(
            model="remote",
            prompt=PROMPT,
            seconds="1",  # type: ignore[arg-type]  # the fake catalogue's length
        )
        done = finished(client, video.id)
        assert done.status == "completed", done.error


def open_the_breaker(server: harness.Server, scenario: Scenario, key: str) -> dict[str, Any]:
    """Two failed submits to ``flaky`` (each video fails over to ``backup``): the breaker
    opens; the status shows the ongoing incident and ``flaky`` down."""
    scenario.flaky.script("create", *[fakes.fault(503, {"error": {"message": "overloaded"}})] * 2)
    for _ in range(2):
        make_video(server, key)
    assert scenario.flaky.answered[503] == 2 and scenario.backup.creates() == 2
    return waiting.until(
        lambda: status(server),
        lambda body: any(i["ongoing"] for i in body["incidents"]),
        limit=CACHE_SECONDS * 3,
        what="the breaker incident on /status.json",
    )


def recover(server: harness.Server, scenario: Scenario, key: str) -> dict[str, Any]:
    """After the cooldown a video probes ``flaky``, which answers: the incident ends."""

    def probe() -> int:
        make_video(server, key)
        return scenario.flaky.creates()

    waiting.until(
        probe,
        lambda creates: creates >= 3,
        limit=COOLDOWN_SECONDS * 4,
        what="a probe of flaky after its cooldown",
    )
    return waiting.until(
        lambda: status(server),
        lambda body: body["incidents"] and not body["incidents"][0]["ongoing"],
        limit=CACHE_SECONDS * 3,
        what="the incident to end on /status.json",
    )


@pytest.mark.parametrize("scenario", backends.BACKENDS, indirect=True)
def test_status_json_follows_a_breaker_incident(scenario: Scenario) -> None:
    with harness.serving(scenario.deployment, scenario.env) as server:
        key = server.create_key(PROJECT)
        first = status(server)
        assert first["object"] == "status" and first["days"] == DAYS
        assert list(components(first)) == ["API", "Queue", "backup", "flaky"]
        for item in first["components"]:
            assert item["status"] in ("operational", "degraded", "down")
            assert len(item["days"]) == DAYS
            assert set(item["days"][0]) == {"date", "availability"}
        assert components(first)["flaky"]["status"] == "operational"
        assert components(first)["Queue"]["status"] == "operational"  # two slots checked in
        assert first["incidents"] == []

        opened = open_the_breaker(server, scenario, key)
        (incident,) = opened["incidents"]
        assert incident["engines"] == ["flaky"] and incident["kind"] == "circuit_open"
        assert incident["ended_at"] is None
        assert components(opened)["flaky"]["status"] == "down"
        assert components(opened)["backup"]["status"] == "operational"
        assert opened["status"] == "down"
        # Today: flaky failed both of its 2 attempts, backup rendered both videos.
        assert components(opened)["flaky"]["days"][-1]["availability"] == 0.0
        assert components(opened)["backup"]["days"][-1]["availability"] == 1.0
        assert components(opened)["API"]["days"][-1]["availability"] == 1.0

        recovered = recover(server, scenario, key)
        (incident,) = recovered["incidents"]
        assert incident["ended_at"] >= incident["started_at"]
        assert components(recovered)["flaky"]["status"] == "operational"
        # flaky today: 2 failed attempts and 1 video rendered.
        assert components(recovered)["flaky"]["days"][-1]["availability"] == round(1 / 3, 4)

        raw = httpx.get(f"{server.root}/status.json", timeout=10).text
        page = httpx.get(f"{server.root}/status", timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        for secret in (PROJECT, "status-secret-prompt", scenario.flaky.v1, KEY, "127.0.0.1"):
            assert secret not in raw and secret not in page.text
        assert "http" not in raw


def test_the_page_shows_components_bars_and_an_incident_in_a_browser(
    scenario: Scenario, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    def state(name: str) -> str:
        return str(
            browser.execute_script(
                "const c = [...document.querySelectorAll('#components li')]"
                ".find(li => li.dataset.name === arguments[0]);"
                "return c ? c.querySelector('.state').innerText : '';",
                name,
            )
        )

    with harness.serving(scenario.deployment, scenario.env) as server:
        key = server.create_key(PROJECT)
        open_the_breaker(server, scenario, key)
        browser.get(f"{server.root}/status")
        wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#components li")) == 4, "4")
        items = browser.find_elements(By.CSS_SELECTOR, "#components li")
        names = [li.get_attribute("data-name") for li in items]
        assert names == ["API", "Queue", "backup", "flaky"]
        for bar in browser.find_elements(By.CSS_SELECTOR, "#components .bar"):
            assert len(bar.find_elements(By.CSS_SELECTOR, ".day")) == DAYS
        assert state("flaky") == "Down" and state("backup") == "Operational"
        today = browser.find_elements(By.CSS_SELECTOR, "li[data-name='flaky'] .day")[-1]
        assert "bad" in (today.get_attribute("class") or "")
        assert "Some systems are down" in text(browser, "overall")
        incidents = text(browser, "incidents")
        assert "Circuit breaker open: flaky" in incidents and "ongoing" in incidents
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "status-incident.png"))

        recover(server, scenario, key)
        browser.refresh()
        wait(browser, lambda _: state("flaky") == "Operational", "flaky operational again")
        incidents = text(browser, "incidents")
        assert "Circuit breaker open: flaky" in incidents and "ongoing" not in incidents
        assert "UTC – " in incidents
        assert "All systems operational" in text(browser, "overall")
        logs = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert logs == [], logs


def test_operators_choose_the_engines_or_turn_the_page_off(scenario: Scenario) -> None:
    env = {**scenario.env, "REELWAY_STATUS_PAGE_ENGINES": "backup, not-an-engine"}
    with harness.serving(scenario.deployment, env) as server:
        assert list(components(status(server))) == ["API", "Queue", "backup"]
    env = {**scenario.env, "REELWAY_STATUS_PAGE": "false"}
    with harness.serving(scenario.deployment, env) as server:
        for path in ("/status", "/status.json"):
            answer = httpx.get(f"{server.root}{path}", timeout=10)
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"]["code"] == "unknown_url"
