"""Characters through the official openai SDK: create_character, get_character, Reelway's list
and delete, and characters on a create in both body encodings, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests import character_clips, faces, harness
from tests.acceptance.conftest import finished, refused

CLIP_TYPE = "video/mp4"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("character-clips")
    return {
        "fox": character_clips.shape_clip(folder / "fox.mp4", 3.0),
        "short": character_clips.shape_clip(folder / "short.mp4", 1.0),
        "face": character_clips.face_clip(folder / "face.mp4", 3.0),
    }


@pytest.fixture
def http(server: harness.Server, client: openai.OpenAI) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {client.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as session:
        yield session


def character(client: openai.OpenAI, name: str, clip: bytes) -> str:
    made = client.videos.create_character(name=name, video=("clip.mp4", clip, CLIP_TYPE))
    assert made.id is not None
    return made.id


def test_create_and_get_a_character(
    server: harness.Server,
    client: openai.OpenAI,
    other_client: openai.OpenAI,
    clips: dict[str, bytes],
    tmp_path: Path,
) -> None:
    path = tmp_path / "fox.mp4"
    path.write_bytes(clips["fox"])
    with path.open("rb") as video:
        made = client.videos.create_character(name="Captain Fox", video=video)
    assert made.id is not None and made.id.startswith("char_")
    assert made.name == "Captain Fox" and made.created_at > 1_700_000_000
    again = client.videos.get_character(made.id)
    assert (again.id, again.name, again.created_at) == (made.id, made.name, made.created_at)
    raw = httpx.get(
        f"{server.base_url}/videos/characters/{made.id}",
        headers={"Authorization": f"Bearer {client.api_key}"},
    )
    assert set(raw.json()) == {"id", "name", "created_at"}  # exactly upstream's keys

    with pytest.raises(openai.NotFoundError) as caught:
        other_client.videos.get_character(made.id)  # another project's character
    assert (caught.value.code, caught.value.param) == ("character_not_found", "character_id")
    with pytest.raises(openai.NotFoundError):
        client.videos.get_character("char_nothing")


def test_list_and_delete_characters(fresh_client: openai.OpenAI, clips: dict[str, bytes]) -> None:
    made = [character(fresh_client, f"Hero {n}", clips["fox"]) for n in range(3)]
    listing = fresh_client.get("/videos/characters", cast_to=httpx.Response)
    body = listing.json()
    assert body["object"] == "list" and not body["has_more"]
    assert [c["id"] for c in body["data"]] == made[::-1]
    assert (body["first_id"], body["last_id"]) == (made[2], made[0])
    page = fresh_client.get(
        "/videos/characters", options={"params": {"limit": 1, "after": made[2]}},
        cast_to=httpx.Response,
    ).json()  # fmt: skip
    assert [c["id"] for c in page["data"]] == [made[1]] and page["has_more"]

    gone = fresh_client.delete(f"/videos/characters/{made[1]}", cast_to=httpx.Response).json()
    assert gone == {"id": made[1], "object": "character.deleted", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        fresh_client.videos.get_character(made[1])
    with pytest.raises(openai.NotFoundError):
        fresh_client.delete(f"/videos/characters/{made[1]}", cast_to=httpx.Response)
    left = fresh_client.get("/videos/characters", cast_to=httpx.Response).json()
    assert [c["id"] for c in left["data"]] == [made[2], made[0]]
    with pytest.raises(openai.NotFoundError) as caught:
        fresh_client.videos.create(
            prompt="Hero 1 waves", extra_body={"characters": [{"id": made[1]}]}
        )
    assert (caught.value.code, caught.value.param) == ("character_not_found", "characters[0].id")


def test_characters_on_a_create_in_both_encodings(
    client: openai.OpenAI, clips: dict[str, bytes]
) -> None:
    fox = character(client, "Captain Fox", clips["fox"])
    owl = character(client, "Professor Owl", clips["fox"])
    prompt = "Captain Fox and Professor Owl share tea under an oak, static camera"
    as_json = client.videos.create(
        prompt=prompt, seconds="4", extra_body={"characters": [{"id": fox}, {"id": owl}]}
    )
    assert as_json.status == "queued" and as_json.prompt == prompt
    # Multipart: an uploaded input image makes the SDK send characters[][id] parts.
    image = faces.landscape_image(720, 1280)
    as_form = client.videos.create(
        prompt="Captain Fox runs along the shore",
        seconds="4",
        input_reference=("frame.png", image, "image/png"),
        extra_body={"characters": [{"id": fox}]},
    )
    assert as_form.status == "queued"
    for video_id in (as_json.id, as_form.id):
        done = finished(client, video_id)
        assert done.status == "completed", done.error


def test_character_refusals(
    server: harness.Server,
    client: openai.OpenAI,
    other_client: openai.OpenAI,
    http: httpx.Client,
    clips: dict[str, bytes],
) -> None:
    fox = character(client, "Captain Fox", clips["fox"])
    theirs = character(other_client, "Captain Fox", clips["fox"])

    def create(body: dict[str, object]) -> httpx.Response:
        return http.post("/videos", json=body)

    refused(
        create({"prompt": "A fox naps", "characters": [{"id": fox}]}),
        "character_not_in_prompt",
        "characters",
    )
    three = [{"id": fox}, {"id": "char_b"}, {"id": "char_c"}]
    refused(create({"prompt": "Captain Fox", "characters": three}), "too_many_characters",
            "characters")  # fmt: skip
    refused(
        create({"prompt": "Captain Fox", "characters": [{"id": fox}, {"id": theirs}]}),
        "character_not_found",
        "characters[1].id",
        status=404,
    )
    refused(create({"prompt": "Captain Fox", "characters": fox}), "invalid_value", "characters")

    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create_character(name="Blink", video=("c.mp4", clips["short"], CLIP_TYPE))
    assert (caught.value.code, caught.value.param) == ("character_clip_duration", "video")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create_character(name="Not a clip", video=("c.mp4", b"GIF89a" * 50))
    assert (caught.value.code, caught.value.param) == ("invalid_video", "video")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create_character(name="Ann", video=("c.mp4", clips["face"], CLIP_TYPE))
    assert (caught.value.code, caught.value.param) == ("sentinel_block", "video")
    body = caught.value.body
    assert isinstance(body, dict) and body["category"] == "human_faces"
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create_character(name="x" * 81, video=("c.mp4", clips["fox"], CLIP_TYPE))
    assert (caught.value.code, caught.value.param) == ("invalid_value", "name")
    # The endpoint takes multipart only: a JSON "video" is not a clip.
    refused(
        http.post("/videos/characters", json={"name": "Fox", "video": {"id": "video_1"}}),
        "invalid_value",
        "video",
    )
    refused(http.get("/videos/characters?limit=101"), "invalid_value", "limit")
    refused(http.get("/videos/characters?after=char_nope"), "invalid_value", "after")
