"""Moderation: the prompt rules, face detection, the hosted backend against a fake HTTP
server, and how refusals read at each detail level."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelway import errors
from reelway.policy import faces, hosted_moderation, prompt_rules
from reelway.policy.moderation import BackendUnavailable, Finding, Moderation, Stage
from tests.faces import face_image, landscape_image
from tests.fakes.moderation import FakeModeration
from tests.fakes.server import DROP, MALFORMED, Reply, fault

RULES = prompt_rules.load()

REFUSED = [
    ("Taylor Swift singing on a rooftop at dusk", "real_people", "Taylor Swift"),
    ("a deepfake of my neighbour giving a speech", "real_people", "deepfake"),
    ("Spider-Man swinging between skyscrapers", "copyrighted_characters", "Spider-Man"),
    ("pikachu running through tall grass", "copyrighted_characters", "pikachu"),
    ("A runner in Nike shoes on a track at sunrise", "brands", "Nike"),
    ("a family eating at McDonald\u2019s", "brands", "McDonald's"),
    ("a soldier firing a rifle in the desert", "violence", "rifle"),
    ("two men with guns in an alley", "violence", "guns"),
    ("a bloody knife fight", "violence", "bloody"),
    ("a naked woman on a beach", "adult", "naked"),
    ("an erotic dance in a dim club", "adult", "erotic"),
]

CLEAN = [
    "a golden retriever running in a park, cinematic lighting",
    "Close-up tracking shot of an orange tabby cat's paws batting at a rolling red yarn ball. "
    "Warm afternoon sunlight creates long shadows on honey-colored hardwood floors.",
    "kids playing with a water gun in the garden on a summer afternoon",
    "a shooting star over a desert campsite, long exposure",
    "a killer whale breaching in an icy bay, aerial drone shot",
    "a blood orange sliced on a marble counter, macro lens",
    "a comet visible to the naked eye above snowy mountains",
    "a photo shoot in a bright studio with a white backdrop",
    "an apple orchard at harvest time, golden hour",
    "a knight with a shield standing before a castle gate, overcast sky",
]


@pytest.mark.parametrize(("prompt", "category", "word"), REFUSED)
def test_each_category_is_refused_with_the_words_that_tripped_it(
    prompt: str, category: str, word: str
) -> None:
    found = RULES.findings(prompt)
    assert [f.category for f in found] == [category]
    assert found[0].evidence is not None and word.lower() in found[0].evidence.lower()
    assert found[0].advice  # every shipped category tells the user what to do instead


@pytest.mark.parametrize("prompt", CLEAN)
def test_ordinary_prompts_and_allowed_phrases_pass(prompt: str) -> None:
    assert RULES.findings(prompt) == []


def test_a_term_outside_its_allowed_phrase_still_counts() -> None:
    found = RULES.findings("a water gun fight, then a man loads a real gun")
    assert [f.category for f in found] == ["violence"]
    assert "'gun'" in (found[0].evidence or "")


def test_one_prompt_can_trip_several_categories_in_file_order() -> None:
    found = RULES.findings("Batman drinking Coca-Cola")
    assert [f.category for f in found] == ["copyrighted_characters", "brands"]


def test_words_inside_other_words_do_not_match() -> None:
    assert RULES.findings("a begun journey, a gunnysack, a sextant on a ship") == []


def test_an_operators_rules_file_replaces_the_shipped_one(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[categories.competitors]\nadvice = "Say a generic product."\n'
        'terms = ["Acme Rocket", "widgetco"]\nallow = ["widgetco museum"]\n'
    )
    rules = prompt_rules.load(path)
    assert [f.category for f in rules.findings("an ACME rocket launch")] == ["competitors"]
    assert rules.findings("a tour of the WidgetCo museum") == []
    assert rules.findings("Nike shoes") == []  # the shipped categories are gone


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[categories.x]\nterms = []\n", "at least one term"),
        ("[categories.x]\nterms = 'gun'\n", "must be a list of strings"),
        ("[categories.X]\nterms = ['a']\n", "lower_snake_case"),
        ("[categories.x]\nterms = ['a']\nwords = ['b']\n", "unknown key 'words'"),
        ("[category.x]\nterms = ['a']\n", "unknown top-level key 'category'"),
        ("[categories.x\n", "not valid TOML"),
    ],
)
def test_a_broken_rules_file_is_refused_with_where_and_why(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(prompt_rules.RulesError, match=problem):
        prompt_rules.load(path)


# ---------------------------------------------------------------------- faces


@pytest.mark.parametrize(("width", "height"), [(256, 256), (1280, 720), (720, 1280), (1792, 1024)])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
async def test_a_face_is_found_in_every_format_and_shape(width: int, height: int, fmt: str) -> None:
    detector = faces.FaceDetector()
    found = await detector.check_image(face_image(width, height, fmt), Stage.INPUT_IMAGE)
    assert [f.category for f in found] == ["human_faces"]
    assert found[0].evidence == "1 face detected"


async def test_an_image_without_a_face_passes() -> None:
    detector = faces.FaceDetector()
    for fmt in ("PNG", "JPEG"):
        assert await detector.check_image(landscape_image(1280, 720, fmt), Stage.INPUT_IMAGE) == []


# ---------------------------------------------------------------------- detail levels


def _blocking(detail: str) -> Moderation:
    return Moderation(prompt=[RULES], detail=detail)


async def test_a_refusal_names_category_stage_and_param_by_default() -> None:
    with pytest.raises(errors.ContentBlocked) as caught:
        await _blocking("category").screen_prompt("Batman on a rooftop")
    error = caught.value
    body = error.to_dict()
    assert body["code"] == "sentinel_block" and body["param"] == "prompt"
    assert body["category"] == "copyrighted_characters" and body["stage"] == "prompt"
    assert "category copyrighted_characters" in error.message
    assert "Nothing was charged" in error.message
    assert "Batman" not in error.message  # the matched words only at "full"


async def test_full_detail_also_says_which_words_matched() -> None:
    with pytest.raises(errors.ContentBlocked) as caught:
        await _blocking("full").screen_prompt("Batman on a rooftop")
    assert "'Batman'" in caught.value.message


async def test_generic_detail_says_neither_category_nor_words() -> None:
    with pytest.raises(errors.ContentBlocked) as caught:
        await _blocking("generic").screen_prompt("Batman on a rooftop")
    body = caught.value.to_dict()
    assert "category" not in body and body["stage"] == "prompt"
    assert "copyrighted" not in body["message"] and "Batman" not in body["message"]


async def test_an_output_refusal_is_a_moderation_blocked_failure_with_its_category() -> None:
    class Red:
        name = "red"

        async def check_image(self, image: bytes, stage: Stage) -> list[Finding]:
            return [Finding("violence", "red", "scripted")] if stage is Stage.OUTPUT else []

    moderation = Moderation(output=[Red()], output_frames=2)
    with pytest.raises(errors.ModerationBlocked) as caught:
        await moderation.screen_output([b"one", b"two"])
    failure = caught.value
    assert failure.code == "moderation_blocked" and not failure.failover
    assert failure.details == {"category": "violence", "stage": "output"}


def test_an_unknown_detail_level_is_refused() -> None:
    with pytest.raises(ValueError, match="full, category, generic"):
        Moderation(detail="verbose")


# ---------------------------------------------------------------------- hosted backend


@pytest.fixture
def hosted_server() -> Iterator[FakeModeration]:
    fake = FakeModeration(api_key="sk-mod")
    yield fake
    fake.close()


@pytest.fixture
async def hosted(hosted_server: FakeModeration):
    backend = hosted_moderation.HostedModeration(hosted_server.v1, "sk-mod", timeout_seconds=1.0)
    yield backend
    await backend.close()


async def test_hosted_text_findings_use_reelways_category_names(
    hosted_server: FakeModeration, hosted: hosted_moderation.HostedModeration
) -> None:
    hosted_server.text_rules = {"explicit scene": "sexual", "gore": "violence/graphic"}
    found = await hosted.check_text("an explicit scene with gore")
    assert sorted(f.category for f in found) == ["adult", "violence"]
    assert all(f.backend == "hosted" for f in found)
    assert await hosted.check_text("a calm lake at dawn") == []
    sent = hosted_server.log[-1][2]
    assert sent.headers["authorization"] == "Bearer sk-mod"
    assert sent.json() == {"model": "omni-moderation-latest", "input": "a calm lake at dawn"}


async def test_hosted_images_are_sent_as_data_urls(
    hosted_server: FakeModeration, hosted: hosted_moderation.HostedModeration
) -> None:
    hosted_server.flag_red = "violence/graphic"
    red = _solid((220, 20, 20))
    assert [f.category for f in await hosted.check_image(red, Stage.OUTPUT)] == ["violence"]
    assert await hosted.check_image(_solid((20, 200, 20)), Stage.OUTPUT) == []
    part = hosted_server.inputs[0][0]
    assert part["type"] == "image_url"
    assert part["image_url"]["url"].startswith("data:image/png;base64,")


async def test_hosted_failures_are_retried_once_then_reported_unavailable(
    hosted_server: FakeModeration, hosted: hosted_moderation.HostedModeration
) -> None:
    hosted_server.text_rules = {"gore": "violence"}
    hosted_server.script("moderate", fault(503))
    assert [f.category for f in await hosted.check_text("gore")] == ["violence"]
    assert hosted_server.calls["moderate"] == 2
    hosted_server.script("moderate", fault(500), DROP)
    with pytest.raises(BackendUnavailable):
        await hosted.check_text("gore")
    hosted_server.script("moderate", Reply(delay=1.5, body={}), Reply(delay=1.5, body={}))
    with pytest.raises(BackendUnavailable, match="timed out"):
        await hosted.check_text("gore")
    hosted_server.script("moderate", MALFORMED)
    with pytest.raises(BackendUnavailable, match="not JSON"):
        await hosted.check_text("gore")


async def test_a_refused_key_is_reported_without_retrying(hosted_server: FakeModeration) -> None:
    backend = hosted_moderation.HostedModeration(hosted_server.v1, "sk-wrong")
    try:
        with pytest.raises(BackendUnavailable, match="REELWAY_MODERATION_API_KEY"):
            await backend.check_text("hello")
        assert hosted_server.calls["moderate"] == 1
    finally:
        await backend.close()


async def test_an_unavailable_service_refuses_the_create_with_a_retryable_503(
    hosted_server: FakeModeration, hosted: hosted_moderation.HostedModeration
) -> None:
    hosted_server.script("moderate", fault(502), fault(502))
    with pytest.raises(errors.ModerationUnavailable) as caught:
        await Moderation(prompt=[hosted]).screen_prompt("a lake")
    assert caught.value.http_status == 503 and caught.value.retryable


def _solid(color: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, "PNG")
    return out.getvalue()


async def test_a_backend_that_breaks_refuses_clearly_instead_of_letting_content_through() -> None:
    class Broken:
        name = "broken"

        async def check_text(self, text: str) -> list[Finding]:
            raise KeyError("bug in a third-party backend")

    with pytest.raises(errors.ModerationUnavailable, match="backend broken failed: KeyError"):
        await Moderation(prompt=[RULES, Broken()]).screen_prompt("a calm lake")


async def test_what_the_hosted_backend_sends_is_accepted_by_the_strict_fake(
    hosted_server: FakeModeration, hosted: hosted_moderation.HostedModeration
) -> None:
    await hosted.check_text("a calm lake")
    await hosted.check_image(_solid((20, 200, 20)), Stage.INPUT_IMAGE)
    assert hosted_server.answered.keys() == {200}
    assert len(hosted_server.inputs) == 2


RED_PART = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


@pytest.mark.parametrize(
    ("key", "call", "status", "param"),
    [
        ("sk-wrong", {"json": {"input": "hi"}}, 401, None),
        (None, {"json": {"input": "hi"}}, 401, None),
        ("sk-mod", {"json": {"model": "omni-moderation-latest"}}, 400, "input"),
        ("sk-mod", {"json": {"input": 7}}, 400, "input"),
        ("sk-mod", {"json": {"input": "hi", "user": "u"}}, 400, "user"),
        ("sk-mod", {"data": {"input": "hi"}}, 400, None),
        ("sk-mod", {"json": {"input": [{"type": "image_url", "image_url": {"url": "x"}}]}}, 400,
         "input[0].image_url.url"),
        ("sk-mod", {"json": {"model": "text-moderation-latest", "input": [RED_PART]}}, 400,
         "input"),
        ("sk-mod", {"json": {"model": "moderation-9", "input": "hi"}}, 404, None),
    ],
    ids=[
        "wrong key", "no key", "no input", "input not text", "unknown field", "form-encoded",
        "image not a URL", "image to a text model", "unknown model",
    ],
)  # fmt: skip
async def test_the_fake_moderation_service_refuses_what_openai_refuses(
    hosted_server: FakeModeration,
    key: str | None,
    call: dict[str, Any],
    status: int,
    param: str | None,
) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await client.post(f"{hosted_server.v1}/moderations", headers=headers, **call)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"
    assert hosted_server.inputs == []
