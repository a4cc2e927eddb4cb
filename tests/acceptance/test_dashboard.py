"""The operator's dashboard in headless Chromium against a real ``reelway serve``.

The server is seeded through the official SDK with completed videos (the animatic engine) and
failed ones (a fake engine that refuses, and a provider nobody listens on), in two projects,
one with a budget.  The browser signs in through the form with the admin key and then with a
project key, and the page must show the seeded numbers, load thumbnails and play a video.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them as root);
skipped with that reason when they are missing.  A screenshot of the admin view is written
to ``test-artifacts/dashboard.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests import backends, harness
from tests.acceptance.conftest import finished, sdk_client

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN_KEY = "sk-admin-dashboard-0123456789"
WAIT_SECONDS = 20

# A catalogue model whose only engine refuses prompts saying "refuse" (engine_runtime_error),
# and sora-2-pro routed to a provider nobody listens on (upstream_unavailable).
BROKEN_MODEL = """
[models."broken"]
description = "Fails on purpose (tests)."
sizes = ["1280x720"]
seconds = [4]
default_size = "1280x720"
default_seconds = 4
route = ["tests.fake_engines:FailingEngine"]

[models."broken".price_per_second]
"720p" = 0.10
"""
CONFIG = """
[engines.gone]
type = "openai_compat"
base_url = "http://127.0.0.1:9/v1"
api_key = "unused"

[models."sora-2-pro"]
route = ["gone"]
capabilities = ["image_input", "remix"]
"""

# Chromium phones home by default (accounts, autofill, component and extension updates, the
# default search engine's start page): DNS lookups of Google and DuckDuckGo hosts.  A test must
# send nothing off the machine, so every name resolves to nothing but localhost and 127.0.0.1
# (the rules apply to literal addresses too), and the services that would try are switched
# off.  Checked by tracing the test with `strace -f -e trace=connect,sendto,sendmmsg`: no DNS
# query and no peer off loopback, except the network stack's IPv6 reachability check (in
# Chromium and chromedriver), a connect() on a UDP socket that only asks the kernel for a route
# and sends nothing; no switch turns it off.
DISABLED_FEATURES = (
    "AutofillServerCommunication",
    "CertificateTransparencyComponentUpdater",
    "DialMediaRouteProvider",
    "MediaRouter",
    "NetworkTimeServiceQuerying",
    "OptimizationHints",
    "OptimizationHintsFetching",
    "Translate",
)
OFFLINE_ARGUMENTS = (
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--disable-search-engine-choice-screen",
    f"--disable-features={','.join(DISABLED_FEATURES)}",
)
OFFLINE_PREFERENCES = {
    "net.network_prediction_options": 2,  # no DNS prefetch or preconnect
    "search.suggest_enabled": False,
    "safebrowsing.enabled": False,
    "translate.enabled": False,
    "signin.allowed": False,
}


@dataclass
class Seeded:
    server: harness.Server
    studio_key: str
    other_key: str
    studio_videos: list[str]
    other_video: str


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("dashboard")
    catalog = folder / "catalog.toml"
    packaged = resources.files("reelway").joinpath("catalog.toml").read_text("utf-8")
    catalog.write_text(packaged + BROKEN_MODEL)
    config = folder / "config.toml"
    config.write_text(CONFIG)
    deployment = backends.Deployment("sqlite", folder / "data")
    with harness.serving(
        deployment,
        {
            "REELWAY_ADMIN_KEY": ADMIN_KEY,
            "REELWAY_WORKERS": "2",
            "REELWAY_AUTH_CACHE_SECONDS": "0",
            "REELWAY_POLL_AFTER_MS": "200",
            "REELWAY_CATALOG": str(catalog),
            "REELWAY_CONFIG": str(config),
            "REELWAY_ROUTE_PASSES": "1",
        },
    ) as server:
        yield _seed(server)


def _seed(server: harness.Server) -> Seeded:
    with httpx.Client(
        base_url=f"{server.base_url}/organization",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        timeout=30,
    ) as admin:
        keys = {}
        for name, budget in (("studio", 5), ("other", None)):
            project = admin.post("/projects", json={"name": name, "budget_usd": budget})
            assert project.status_code == 200, project.text
            key = admin.post(f"/projects/{project.json()['id']}/api_keys", json={})
            keys[name] = key.json()["value"]
    with sdk_client(server, keys["studio"]) as studio, sdk_client(server, keys["other"]) as other:
        made = [
            studio.videos.create(prompt=f"a red kite over dunes, take {n}", size="1280x720")
            for n in range(3)
        ]
        made.append(studio.videos.create(model="broken", prompt="please refuse this"))
        made.append(studio.videos.create(model="sora-2-pro", prompt="a lighthouse"))
        theirs = other.videos.create(prompt="a paper boat on a pond", size="1280x720")
        ended = [finished(studio, v.id) for v in made]
        assert [v.status for v in ended] == ["completed"] * 3 + ["failed"] * 2
        assert finished(other, theirs.id).status == "completed"
    return Seeded(server, keys["studio"], keys["other"], [v.id for v in made], theirs.id)


# ---------------------------------------------------------------------- the JSON and media


def test_the_summary_and_media_need_a_key_and_keep_projects_apart(seeded: Seeded) -> None:
    url = seeded.server.base_url
    bare = httpx.get(f"{url}/dashboard/summary", timeout=30)
    assert (bare.status_code, bare.json()["error"]["code"]) == (401, "missing_api_key")
    wrong = httpx.get(
        f"{url}/dashboard/summary", headers={"Authorization": "Bearer sk-nope"}, timeout=30
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    assert "admin key" in wrong.json()["error"]["message"]

    def get(path: str, key: str, **params: str) -> httpx.Response:
        return httpx.get(
            f"{url}{path}", params=params, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )

    bad = get("/dashboard/summary", ADMIN_KEY, window="7d")
    assert (bad.status_code, bad.json()["error"]["param"]) == (400, "window")
    day = get("/dashboard/summary", ADMIN_KEY, window="24h").json()
    assert day["window"]["bucket_seconds"] == 900 and len(day["throughput"]) == 96
    assert day["totals"]["completed"] == 4 and day["totals"]["failed"] == 2

    studio_video = seeded.studio_videos[0]
    content = f"/dashboard/videos/{studio_video}/content"
    mp4 = get(content, ADMIN_KEY, variant="video")
    assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4"
    assert get(content, seeded.studio_key, variant="thumbnail").headers["content-type"] == (
        "image/webp"
    )
    foreign = get(content, seeded.other_key, variant="thumbnail")
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "video_not_found")
    failed = get(f"/dashboard/videos/{seeded.studio_videos[3]}/content", ADMIN_KEY)
    assert failed.status_code == 400 and failed.json()["error"]["code"] == "video_failed"

    page = httpx.get(f"{seeded.server.root}/dashboard", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for name in ("dashboard.js", "dashboard.css"):
        assert httpx.get(f"{seeded.server.root}/dashboard/{name}", timeout=30).status_code == 200


# ---------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()) or not shutil.which("chromium"):
        pytest.skip(
            "chromium is missing: install Debian's chromium and chromium-driver packages "
            "(make test does, as root)"
        )
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--mute-audio",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1440,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        *OFFLINE_ARGUMENTS,
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", OFFLINE_PREFERENCES)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never download anything
        patch.setenv("SE_AVOID_STATS", "true")
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1).until(condition)
    except Exception as exc:
        shot = ARTIFACTS / "dashboard-failure.png"
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(shot))
        raise AssertionError(f"timed out waiting for {what} (screenshot: {shot})") from exc


def text(driver: Any, element_id: str) -> str:
    return str(driver.execute_script(f"return document.getElementById('{element_id}').innerText"))


def sign_in(driver: Any, key: str) -> None:
    from selenium.webdriver.common.by import By

    wait(driver, lambda d: d.find_element(By.ID, "key").is_displayed(), "the sign-in form")
    field = driver.find_element(By.ID, "key")
    field.clear()
    field.send_keys(key)
    driver.find_element(By.ID, "signin-button").click()


def sign_out(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "signout").click()
    wait(driver, lambda d: d.find_element(By.ID, "key").is_displayed(), "the sign-in form")
    assert driver.execute_script("return sessionStorage.length") == 0


def loaded_thumbnails(driver: Any) -> int:
    return int(
        driver.execute_script(
            "return [...document.querySelectorAll('#recent img.thumb')]"
            ".filter(i => i.complete && i.naturalWidth > 0).length"
        )
    )


def test_the_admin_sees_every_project_and_plays_a_video(
    seeded: Seeded, browser: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(f"{seeded.server.root}/dashboard")
    sign_in(driver, "sk-not-a-key")
    wait(driver, lambda d: d.find_element(By.ID, "signin-error").is_displayed(), "the refusal")
    assert "neither the deployment's admin key" in text(driver, "signin-error")
    _screenshot(driver, "dashboard-signin.png")

    sign_in(driver, ADMIN_KEY)
    wait(driver, lambda _: text(driver, "t-completed") == "4", "4 completed videos")
    assert ADMIN_KEY not in driver.current_url
    assert driver.execute_script("return sessionStorage.getItem('reelway.dashboard.key')") == (
        ADMIN_KEY
    )
    assert text(driver, "scope") == "Admin · all projects"
    assert text(driver, "t-failed") == "2"
    assert text(driver, "t-success") == "66.7%"
    assert (text(driver, "q-runnable"), text(driver, "q-running")) == ("0", "0")
    assert text(driver, "g-p50").endswith("s") and text(driver, "g-count") == "4"
    codes = text(driver, "errors-code")
    assert "engine_runtime_error\t1" in codes and "upstream_unavailable\t1" in codes
    engines = text(driver, "errors-engine")
    assert "gone\t1" in engines and "tests.fake_engines:FailingEngine\t1" in engines
    spend = driver.find_element(By.CSS_SELECTOR, "#spend tr[data-project]").text
    assert spend.startswith("studio") and "$1.20 of $5.00 (24.0%)" in spend
    spend_rows = driver.find_elements(By.CSS_SELECTOR, "#spend tbody tr")
    assert {row.text.split()[0] for row in spend_rows} == {"studio", "other", "default"}
    listed = [
        e.get_attribute("data-engine")
        for e in driver.find_elements(By.CSS_SELECTOR, "#engines tr[data-engine]")
    ]
    assert listed == ["animatic", "gone", "tests.fake_engines:FailingEngine"]
    gone = driver.find_element(By.CSS_SELECTOR, "#engines tr[data-engine='gone']").text
    assert "failing" in gone and "1 / 5" in gone
    cards = driver.find_elements(By.CSS_SELECTOR, "#recent article.video")
    assert [c.get_attribute("data-id") for c in cards] == [
        seeded.other_video,
        *reversed(seeded.studio_videos),
    ]
    bars = driver.find_elements(By.CSS_SELECTOR, "#chart rect.ok")
    assert bars, "the chart draws the completed videos"

    wait(driver, lambda _: loaded_thumbnails(driver) == 4, "4 thumbnails to load")
    card = driver.find_element(By.CSS_SELECTOR, f"article[data-id='{seeded.studio_videos[0]}']")
    card.find_element(By.CSS_SELECTOR, ".media button").click()
    playing = (
        f"const v = document.querySelector(`article[data-id='{seeded.studio_videos[0]}'] video`);"
        "return !!v && v.src.startsWith('blob:') && (v.readyState >= 2 || v.currentTime > 0);"
    )
    wait(driver, lambda d: d.execute_script(playing), "the video to play")
    wait(driver, lambda _: text(driver, "t-completed") == "4", "a refresh that keeps the player")
    assert driver.execute_script(playing), "a refresh must not replace a playing video"

    shot = _screenshot(driver)
    with capsys.disabled():
        print(f"\ndashboard screenshot: {shot}")
    errors = [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "status of 401" not in entry["message"]
    ]
    assert not errors, errors
    sign_out(driver)


def _screenshot(driver: Any, name: str = "dashboard.png") -> Path:
    """The whole page, at the height it needs."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1440, min(height + 140, 4000))
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / name
    driver.save_screenshot(str(shot))
    driver.set_window_size(1440, 1000)
    return shot


def test_a_project_key_sees_only_its_project(seeded: Seeded, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(f"{seeded.server.root}/dashboard")
    sign_in(driver, seeded.other_key)
    wait(driver, lambda _: text(driver, "scope") == "Project · other", "the project's view")
    wait(driver, lambda _: text(driver, "t-completed") == "1", "its one completed video")
    assert text(driver, "t-failed") == "0"
    assert "No failures" in text(driver, "errors-code")
    rows = driver.find_elements(By.CSS_SELECTOR, "#spend tbody tr")
    assert [r.text.split()[0] for r in rows] == ["other"]
    assert "no budget" in rows[0].text
    cards = driver.find_elements(By.CSS_SELECTOR, "#recent article.video")
    assert [c.get_attribute("data-id") for c in cards] == [seeded.other_video]
    wait(driver, lambda _: loaded_thumbnails(driver) == 1, "its thumbnail")
    assert driver.find_elements(By.CSS_SELECTOR, "#engines tr[data-engine]")
    _screenshot(driver, "dashboard-project.png")
    sign_out(driver)


def test_the_sdk_key_cannot_reach_another_projects_files(seeded: Seeded) -> None:
    """The dashboard route adds nothing to a project key: the SDK route refuses the same."""
    with sdk_client(seeded.server, seeded.other_key) as sdk, pytest.raises(openai.NotFoundError):
        sdk.videos.download_content(seeded.studio_videos[0])
