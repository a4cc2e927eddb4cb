"""Characters: the store (project scoping, paging, tombstones, the worker's read) and the use
cases (clip checks, moderation, characters on a create), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from reelway import characters, errors, jobs
from reelway import settings as settings_module
from reelway.characters import CharacterService
from reelway.policy import faces, prompt_rules
from reelway.policy.moderation import Finding, Moderation, Stage
from reelway.runtime import Runtime
from reelway.service import Caller, Upload
from reelway.storage.local import LocalStorage
from reelway.store.characters import CharacterStore
from reelway.store.database import Database
from reelway.store.keys import KeyStore
from tests import character_clips
from tests.backends import Deployment
from tests.integration.conftest import Clock


@pytest.fixture
def store(db: Database, clock: Clock) -> CharacterStore:
    return CharacterStore(db, clock)


@pytest.fixture
async def projects(db: Database) -> tuple[str, str]:
    keys = KeyStore(db)
    first, _ = await keys.ensure_project("first")
    second, _ = await keys.ensure_project("second")
    return first.id, second.id


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


@pytest.fixture
def service(store: CharacterStore, storage: LocalStorage, tmp_path: Path) -> CharacterService:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return CharacterService(
        store, storage, Moderation(input_image=[faces.FaceDetector()]), tmp_dir=tmp
    )


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "fox": character_clips.shape_clip(folder / "fox.mp4", 3.0),
        "short": character_clips.shape_clip(folder / "short.mp4", 1.0),
        "long": character_clips.shape_clip(folder / "long.mp4", 5.0),
        "face": character_clips.face_clip(folder / "face.mp4", 3.0),
    }


def upload(data: bytes) -> Upload:
    return Upload("clip.mp4", io.BytesIO(data))


async def add(store: CharacterStore, project_id: str, n: int, clock: Clock) -> str:
    clock.advance(1)
    character_id = f"char_{n:04d}"
    await store.insert(
        character_id, project_id, f"Name {n}", f"characters/{character_id}/clip.mp4",
        width=320, height=180, duration=3.0,
    )  # fmt: skip
    return character_id


async def test_a_character_belongs_to_its_project(
    store: CharacterStore, projects: tuple[str, str], clock: Clock
) -> None:
    first, second = projects
    mine = await add(store, first, 1, clock)
    found = await store.get(first, mine)
    assert found is not None
    assert (found.name, found.clip, found.width, found.duration) == (
        "Name 1",
        "characters/char_0001/clip.mp4",
        320,
        3.0,
    )
    assert await store.get(second, mine) is None
    assert await store.get(first, "char_\x00") is None
    assert await store.get_many([mine], project_id=second) == {}
    assert list(await store.get_many([mine, "char_missing", "x" * 500])) == [mine]
    assert await store.delete(second, mine) is None
    assert await store.get(first, mine) is not None


async def test_pages_and_tombstones(
    store: CharacterStore, projects: tuple[str, str], clock: Clock
) -> None:
    first, second = projects
    made = [await add(store, first, n, clock) for n in range(5)]
    await add(store, second, 99, clock)
    page, more = await store.list_page(first, after=None, limit=2, descending=True)
    assert [c.id for c in page] == made[4:2:-1] and more
    page, more = await store.list_page(first, after=made[3], limit=10, descending=True)
    assert [c.id for c in page] == made[2::-1] and not more
    page, more = await store.list_page(first, after=None, limit=10, descending=False)
    assert [c.id for c in page] == made and not more

    deleted = await store.delete(first, made[2])
    assert deleted is not None and deleted.deleted_at == clock.now
    assert await store.get(first, made[2]) is None
    assert await store.delete(first, made[2]) is None
    assert made[2] not in await store.get_many(made)
    # A deleted character's id stays a valid cursor; another project's is not one.
    page, _ = await store.list_page(first, after=made[2], limit=10, descending=True)
    assert [c.id for c in page] == made[1::-1]
    with pytest.raises(LookupError):
        await store.list_page(first, after="char_0099", limit=10, descending=True)


async def test_create_stores_the_checked_clip(
    service: CharacterService,
    storage: LocalStorage,
    projects: tuple[str, str],
    clips: dict[str, bytes],
) -> None:
    first, second = projects
    made = await service.create(first, {"name": "Captain Fox", "video": upload(clips["fox"])})
    assert made.id.startswith("char_") and made.name == "Captain Fox"
    assert made.clip == f"characters/{made.id}/clip.mp4"
    assert (made.width, made.height, made.duration) == (320, 180, 3.0)
    assert storage.path(made.clip).read_bytes() == clips["fox"]
    assert (await service.get(first, made.id)).name == "Captain Fox"
    with pytest.raises(errors.CharacterNotFound):
        await service.get(second, made.id)
    assert not list((service.tmp_dir).iterdir()), "the spooled upload is removed"

    gone = await service.delete(first, made.id)
    assert gone.id == made.id
    assert not storage.path(made.clip).exists()
    with pytest.raises(errors.CharacterNotFound):
        await service.delete(first, made.id)


@pytest.mark.parametrize(
    "params, error, param",
    [
        ({"video": "fox"}, errors.MissingParameter, "name"),
        ({"name": "", "video": "fox"}, errors.InvalidValue, "name"),
        ({"name": "x" * 81, "video": "fox"}, errors.InvalidValue, "name"),
        ({"name": "a\nb", "video": "fox"}, errors.InvalidValue, "name"),
        ({"name": 7, "video": "fox"}, errors.InvalidValue, "name"),
        ({"name": "Fox"}, errors.MissingParameter, "video"),
        ({"name": "Fox", "video": {"id": "video_1"}}, errors.InvalidValue, "video"),
        ({"name": "Fox", "video": "fox", "seconds": "4"}, errors.UnknownParameter, "seconds"),
        ({"name": "Fox", "video": "short"}, errors.CharacterClipDuration, "video"),
        ({"name": "Fox", "video": "long"}, errors.CharacterClipDuration, "video"),
        ({"name": "Fox", "video": "png"}, errors.InvalidVideo, "video"),
        ({"name": "Fox", "video": "truncated"}, errors.InvalidVideo, "video"),
        ({"name": "Fox", "video": "face"}, errors.ContentBlocked, "video"),
    ],
)
async def test_create_refusals(
    service: CharacterService,
    storage: LocalStorage,
    store: CharacterStore,
    projects: tuple[str, str],
    clips: dict[str, bytes],
    params: dict[str, Any],
    error: type[errors.ReelwayError],
    param: str,
) -> None:
    files = {
        **clips,
        "png": b"\x89PNG\r\n\x1a\n" + b"0" * 100,
        "truncated": clips["fox"][: len(clips["fox"]) // 2],
    }
    params = {
        k: upload(files[v]) if k == "video" and isinstance(v, str) else v for k, v in params.items()
    }
    with pytest.raises(error) as caught:
        await service.create(projects[0], params)
    assert caught.value.param == param
    if error is errors.ContentBlocked:
        assert caught.value.details["category"] == faces.CATEGORY
        assert caught.value.message.startswith("The character clip was refused")
    page, _ = await store.list_page(projects[0], after=None, limit=10, descending=True)
    assert page == []
    assert await storage.list_keys("characters/") == []
    assert not list(service.tmp_dir.iterdir())


async def test_faces_pass_when_the_operator_turns_the_check_off(
    store: CharacterStore,
    storage: LocalStorage,
    projects: tuple[str, str],
    clips: dict[str, bytes],
    tmp_path: Path,
) -> None:
    """REELWAY_MODERATION_FACES=false leaves the input-image stage without the detector."""
    permissive = CharacterService(store, storage, Moderation(), tmp_dir=tmp_path)
    made = await permissive.create(projects[0], {"name": "Ann", "video": upload(clips["face"])})
    assert made.name == "Ann"


async def test_characters_on_a_create(
    service: CharacterService, store: CharacterStore, projects: tuple[str, str], clock: Clock
) -> None:
    first, second = projects
    fox = await add(store, first, 1, clock)  # "Name 1"
    owl = await add(store, first, 2, clock)  # "Name 2"
    theirs = await add(store, second, 3, clock)
    both = "Name 1 meets Name 2 at dawn"
    assert await service.referenced(first, None, both) == ()
    assert await service.referenced(first, [], both) == ()
    assert await service.referenced(first, [{"id": fox}, {"id": owl}], both) == (fox, owl)

    cases: list[tuple[Any, str, type[errors.ReelwayError], str]] = [
        ([{"id": fox}, {"id": owl}, {"id": fox}], both, errors.TooManyCharacters, "characters"),
        ({"id": fox}, both, errors.InvalidValue, "characters"),
        ([fox], both, errors.InvalidValue, "characters[0]"),
        ([{"id": fox}, {"id": 5}], both, errors.InvalidValue, "characters[1].id"),
        ([{}], both, errors.MissingParameter, "characters[0].id"),
        ([{"id": fox, "name": "x"}], both, errors.UnknownParameter, "characters[0].name"),
        ([{"id": fox}, {"id": fox}], both, errors.InvalidValue, "characters[1].id"),
        ([{"id": fox}, {"id": theirs}], both, errors.CharacterNotFound, "characters[1].id"),
        ([{"id": "char_\x00"}], both, errors.CharacterNotFound, "characters[0].id"),
        ([{"id": fox}, {"id": owl}], "Name 1 alone", errors.CharacterNotInPrompt, "characters"),
        ([{"id": fox}], "name 1, lower case", errors.CharacterNotInPrompt, "characters"),
    ]
    for value, prompt, error, param in cases:
        with pytest.raises(error) as caught:
            await service.referenced(first, value, prompt)
        assert caught.value.param == param, (value, caught.value)
    with pytest.raises(errors.CharacterNotInPrompt) as caught:
        await service.referenced(first, [{"id": owl}], "Name 1 alone")
    assert "'Name 2'" in caught.value.message

    await store.delete(first, owl)
    with pytest.raises(errors.CharacterNotFound):
        await service.referenced(first, [{"id": owl}], both)
    assert characters.MAX_PER_VIDEO == 2


CATALOG = """
[credits_per_second]
"480p" = 4
"720p" = 16
"1080p" = 40
[models."cast"]
sizes = ["1280x720"]
seconds = [4]
default_size = "1280x720"
default_seconds = 4
capabilities = ["characters"]
route = ["animatic"]
[models."cast".price_per_second]
"720p" = 0.10
[models."plain"]
sizes = ["1280x720"]
seconds = [4]
default_size = "1280x720"
default_seconds = 4
route = ["animatic"]
[models."plain".price_per_second]
"720p" = 0.10
"""


@pytest.fixture
async def runtime(tmp_path: Path, deployment: Deployment) -> AsyncIterator[Runtime]:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG)
    settings = settings_module.from_env(
        deployment.env, data_dir=deployment.data_dir, catalog=catalog
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


async def test_a_create_with_characters_queues_them_on_the_row(
    runtime: Runtime, clips: dict[str, bytes]
) -> None:
    project, _ = await runtime.keys.ensure_project("cast")
    caller = Caller(project.id, "test")
    fox = await runtime.characters.create(
        project.id, {"name": "Captain Fox", "video": upload(clips["fox"])}
    )
    prompt = "Captain Fox crosses a rope bridge at dusk"
    params = {"prompt": prompt, "model": "cast", "characters": [{"id": fox.id}]}
    created = await runtime.service.create(caller, params)
    row = await runtime.videos.get(created.video.id)
    assert row is not None
    assert row.kind is jobs.JobKind.GENERATE
    assert row.sources.characters == (fox.id,)
    # The worker reads the clip through the store, whatever the project.
    found = await runtime.character_store.get_many(row.sources.characters)
    assert await runtime.storage.exists(found[fox.id].clip)

    with pytest.raises(errors.UnsupportedParameter) as caught:
        await runtime.service.create(caller, {**params, "model": "plain"})
    assert caught.value.param == "characters"
    plain = await runtime.service.create(caller, {"prompt": prompt, "model": "plain"})
    assert plain.video.sources.characters == ()


class Recorder:
    """An image backend (a hosted moderation service's stand-in) that sees every frame."""

    name = "hosted"

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.seen: list[tuple[bytes, Stage]] = []

    async def check_image(self, image: bytes, stage: Stage) -> list[Finding]:
        self.seen.append((image, stage))
        return [Finding("violence", self.name, "score 0.97")] if self.refuse else []


async def test_every_input_image_backend_sees_frames_of_the_clip(
    store: CharacterStore,
    storage: LocalStorage,
    projects: tuple[str, str],
    clips: dict[str, bytes],
    tmp_path: Path,
) -> None:
    seeing = Recorder()
    service = CharacterService(store, storage, Moderation(input_image=[seeing]), tmp_dir=tmp_path)
    await service.create(projects[0], {"name": "Fox", "video": upload(clips["fox"])})
    assert len(seeing.seen) == characters.SCREENED_FRAMES
    assert all(image.startswith(b"\xff\xd8") and stage is Stage.INPUT_IMAGE
               for image, stage in seeing.seen)  # fmt: skip

    refusing = Recorder(refuse=True)
    strict = CharacterService(store, storage, Moderation(input_image=[refusing]), tmp_dir=tmp_path)
    with pytest.raises(errors.ContentBlocked) as caught:
        await strict.create(projects[0], {"name": "Owl", "video": upload(clips["fox"])})
    assert (caught.value.param, caught.value.details["category"]) == ("video", "violence")
    assert len(refusing.seen) == 1


async def test_the_name_is_screened_like_a_prompt(
    store: CharacterStore,
    storage: LocalStorage,
    projects: tuple[str, str],
    clips: dict[str, bytes],
    tmp_path: Path,
) -> None:
    rules = Moderation(prompt=[prompt_rules.load(None)])
    service = CharacterService(store, storage, rules, tmp_dir=tmp_path)
    with pytest.raises(errors.ContentBlocked) as caught:
        await service.create(projects[0], {"name": "Darth Vader", "video": upload(clips["fox"])})
    assert (caught.value.param, caught.value.details["category"]) == (
        "name",
        "copyrighted_characters",
    )
    assert await storage.list_keys("characters/") == []


def test_decoding_stops_past_the_frame_bound(
    clips: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A header can understate a clip's frames; the decode pass itself is bounded."""
    path = tmp_path / "fox.mp4"
    path.write_bytes(clips["fox"])
    assert characters.check_clip(path).duration == 3.0
    monkeypatch.setattr(characters, "MAX_FRAMES", 10)
    with pytest.raises(errors.InvalidVideo, match="more than 10 frames") as caught:
        characters.check_clip(path)
    assert caught.value.param == "video"


async def test_a_failed_insert_leaves_no_clip(
    service: CharacterService,
    storage: LocalStorage,
    projects: tuple[str, str],
    clips: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise errors.DatabaseUnavailable()

    monkeypatch.setattr(service.store, "insert", broken)
    with pytest.raises(errors.DatabaseUnavailable):
        await service.create(projects[0], {"name": "Fox", "video": upload(clips["fox"])})
    assert await storage.list_keys("characters/") == []
    assert not list(service.tmp_dir.iterdir())
