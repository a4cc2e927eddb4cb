"""Storyboards: many shots made as one video (``POST /v1/videos/storyboards``), and their
shots read back (``GET /v1/videos/{id}/shots``).

A storyboard is admitted like one create (one Idempotency-Key, one counted request, every
shot's prompt and image screened, every shot's route checked) and then queued with one call
to ``VideoStore.insert_storyboard``: the parent video the user sees (no reservation of its
own, ``seconds`` the total) and one ordinary job per shot, each with its own reservation.
A ``continue`` shot waits (``jobs.WAITING_RUN_AT``) until a worker's storyboard coordinator
releases it.  Every refusal of a shot's field names the shot: ``shots[3].seconds``.
``POST /v1/videos/storyboards/preflight`` checks a body as a create and prices it shot by
shot, creating nothing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reelway import (
    capabilities,
    catalog,
    errors,
    ids,
    images,
    jobs,
    logs,
    numeric,
    service,
    validation,
)
from reelway.store.videos import KeyTaken, NewVideo, QueueLimitReached

STORYBOARD_FIELDS = frozenset(
    {"model", "size", "seed", "characters", "soundtrack", "shots", "captions"}
)
SHOT_FIELDS = frozenset(
    {"prompt", "seconds", "model", "input_reference", "characters", "transition"}
    | {"crossfade_seconds", "negative_prompt", "captions"}
)
MIN_SHOTS, MAX_SHOTS = 2, 32
DEFAULT_MODEL = "sora-2"
DEFAULT_TRANSITION = "cut"
DEFAULT_SOUNDTRACK = "continuous"
DEFAULT_CROSSFADE_SECONDS = 0.5
RETRY_FIELDS = frozenset({"prompt"})
OPERATION = "storyboard"
"""What the Idempotency-Key fingerprints a storyboard request as."""


@dataclass(frozen=True)
class Shot:
    """One shot as asked, checked on its own and against its neighbours."""

    index: int
    prompt: str
    seconds: int
    model_name: str
    model: catalog.ModelSpec
    transition: str
    crossfade_seconds: float = 0.0
    input_reference: Any = None
    characters: Any = None
    """The shot's own ``characters`` as given (None: the storyboard's that its prompt names)."""
    negative_prompt: str | None = None
    """What the shot must not show (its model must take negative prompts)."""
    captions: bool | None = None
    """The shot's ``captions``, else the storyboard's; None: as the deployment says."""

    @property
    def param(self) -> str:
        return f"shots[{self.index}]"


@dataclass(frozen=True)
class Board:
    """A storyboard request, checked as far as it can be without the database."""

    model_name: str
    model: catalog.ModelSpec
    size: str
    seed: int | None
    soundtrack: str
    characters: Any
    shots: tuple[Shot, ...]

    @property
    def seconds(self) -> int:
        """The total: crossfades dissolve in place and do not shorten the video."""
        return sum(shot.seconds for shot in self.shots)

    @property
    def prompt(self) -> str:
        return "\n".join(shot.prompt for shot in self.shots)


@contextlib.contextmanager
def naming(prefix: str) -> Iterator[None]:
    """A refusal of one of a shot's own fields names the shot (``prompt`` becomes
    ``shots[3].prompt``)."""
    try:
        yield
    except errors.ReelwayError as exc:
        if exc.param is not None and not exc.param.startswith("shots"):
            exc.param = f"{prefix}.{exc.param}"
        raise


def parse(models: catalog.Catalog, params: Mapping[str, Any]) -> Board:
    """The storyboard's fields and shots, or the first refusal (its param names the field)."""
    validation.check_fields(params, STORYBOARD_FIELDS)
    model_name = validation.optional_string(params, "model") or DEFAULT_MODEL
    model = models.resolve(model_name)
    size = validation.optional_string(params, "size") or model.default_size
    model.check_size(size)
    soundtrack = params.get("soundtrack", DEFAULT_SOUNDTRACK)
    if soundtrack not in jobs.SOUNDTRACKS:
        raise errors.InvalidValue(
            f"Invalid soundtrack {errors.show(soundtrack)}. Allowed values: "
            f"{', '.join(jobs.SOUNDTRACKS)}.",
            param="soundtrack",
        )
    given = params.get("shots")
    if given is None:
        raise errors.MissingParameter(
            f"Missing required parameter: 'shots' (a list of {MIN_SHOTS} to {MAX_SHOTS} shots).",
            param="shots",
        )
    if not isinstance(given, list) or not MIN_SHOTS <= len(given) <= MAX_SHOTS:
        count = f"{len(given)} shots" if isinstance(given, list) else errors.show(given)
        raise errors.InvalidValue(
            f"shots must be a list of {MIN_SHOTS} to {MAX_SHOTS} shot objects, got {count}.",
            param="shots",
        )
    captioned = validation.captions(params.get("captions"))
    shots: list[Shot] = []
    for index, value in enumerate(given):
        shot = _shot(models, index, value, model_name, size, shots[-1] if shots else None)
        if shot.captions is None and captioned is not None:
            shot = replace(shot, captions=captioned)
        shots.append(shot)
    return Board(
        model_name=model_name,
        model=model,
        size=size,
        seed=validation.seed(params.get("seed")),
        soundtrack=soundtrack,
        characters=params.get("characters"),
        shots=tuple(shots),
    )


def _shot(
    models: catalog.Catalog,
    index: int,
    value: Any,
    default_model: str,
    size: str,
    previous: Shot | None,
) -> Shot:
    prefix = f"shots[{index}]"
    if not isinstance(value, Mapping):
        raise errors.InvalidValue(
            f"{prefix} must be an object with prompt and seconds, got {errors.show(value)}.",
            param=prefix,
        )
    with naming(prefix):
        unknown = sorted(set(value) - SHOT_FIELDS)
        if unknown:
            raise errors.UnknownParameter(
                f"Unknown parameter {prefix}.{unknown[0]}; a shot takes "
                f"{', '.join(sorted(SHOT_FIELDS))}.",
                param=unknown[0],
            )
        prompt = validation.prompt(value.get("prompt"))
        model_name = validation.optional_string(value, "model") or default_model
        model = models.resolve(model_name)
        if value.get("seconds") is None:
            raise errors.MissingParameter(
                f"Missing required parameter: '{prefix}.seconds' (the shot's length, e.g. '4').",
                param="seconds",
            )
        seconds = model.check_seconds(validation.whole_seconds(value.get("seconds"), 0))
        negative = validation.negative_prompt(model, value.get("negative_prompt"))
        captioned = validation.captions(value.get("captions"))
        transition = _transition(value.get("transition", DEFAULT_TRANSITION), previous)
        fade = _crossfade(value.get("crossfade_seconds"), transition, seconds, previous)
        if transition == "continue":
            if not model.has(catalog.Capability.IMAGE_INPUT):
                raise errors.UnsupportedParameter(
                    f"A continue shot starts from the previous shot's last frame; model "
                    f"{model.name!r} does not take an input image. Use a cut, or another model.",
                    param="transition",
                )
            if value.get("input_reference") is not None:
                raise errors.InvalidValue(
                    f"{prefix} continues the previous shot from its last frame, so it takes no "
                    "input_reference; leave it out, or use a cut.",
                    param="input_reference",
                )
    if size not in model.sizes:
        raise errors.InvalidValue(
            f"The storyboard's size {size} is not one model {model.name!r} makes (it makes "
            f"{', '.join(model.sizes)}); every shot is made at one size.",
            param=f"{prefix}.model",
        )
    return Shot(
        index=index,
        prompt=prompt,
        seconds=seconds,
        model_name=model_name,
        model=model,
        transition=transition,
        crossfade_seconds=fade,
        input_reference=value.get("input_reference"),
        characters=value.get("characters"),
        negative_prompt=negative,
        captions=captioned,
    )


def _transition(value: Any, previous: Shot | None) -> str:
    if value not in jobs.TRANSITIONS:
        raise errors.InvalidValue(
            f"Invalid transition {errors.show(value)}. Allowed values: "
            f"{', '.join(jobs.TRANSITIONS)}.",
            param="transition",
        )
    if previous is None and value != "cut":
        raise errors.InvalidValue(
            f"The first shot has no shot before it to {value} from; its transition is 'cut'.",
            param="transition",
        )
    return str(value)


_DECIMAL = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3})?")
"""A number as a form field carries it: short, plain decimal (no exponent, no sign)."""


def _crossfade(value: Any, transition: str, seconds: int, previous: Shot | None) -> float:
    """A crossfade's length: more than 0, at most half the shorter of the two shots."""
    if transition != "crossfade":
        if value is not None:
            raise errors.InvalidValue(
                "crossfade_seconds is only taken with transition 'crossfade'.",
                param="crossfade_seconds",
            )
        return 0.0
    if value is None:
        value = DEFAULT_CROSSFADE_SECONDS
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = float(value)  # a multipart form's field: "0.5"
    assert previous is not None  # the first shot is a cut
    longest = min(seconds, previous.seconds) / 2
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 < value <= longest:  # NaN compares false: refused too
        raise errors.InvalidValue(
            f"crossfade_seconds must be a number more than 0 and at most {longest:g} (half the "
            f"shorter of the two shots), got {errors.show(value)}.",
            param="crossfade_seconds",
        )
    return float(value)


def servable(shot: Shot, size: str, infos: validation.EngineInfos | None) -> None:
    """Whether an engine on the shot's route can make it; the refusal names the shot's field
    (a continue shot's need of an input image is its ``transition``)."""
    used: set[catalog.Capability] = set()
    imaged = shot.input_reference is not None or shot.transition == "continue"
    if imaged and shot.model.has(catalog.Capability.IMAGE_INPUT):
        used.add(catalog.Capability.IMAGE_INPUT)
    if shot.characters:
        used.add(catalog.Capability.CHARACTERS)
    used |= validation.extra_needs(shot.negative_prompt, False)
    needs = capabilities.Needs(size, shot.seconds, frozenset(used))
    try:
        validation.check_servable(shot.model, needs, infos)
    except errors.ReelwayError as exc:
        field = exc.param
        if field == "input_reference" and shot.input_reference is None:
            field = "transition"
        exc.param = "size" if field == "size" else f"{shot.param}.{field}"
        raise


class Storyboards:
    """The storyboard use cases, on top of one video service."""

    def __init__(self, videos: service.VideoService) -> None:
        self.videos = videos

    async def create(
        self,
        caller: service.Caller,
        params: Mapping[str, Any],
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> service.Created:
        """Admit the storyboard once and queue it with all its shots, or refuse it whole."""
        videos = self.videos
        ask = service.Request(OPERATION, params, STORYBOARD_FIELDS, request_id, idempotency_key)
        key, fingerprint, replayed = await videos.idempotent(caller, ask)
        if replayed is not None:
            return replayed
        board = parse(videos.catalog, params)
        characters = await self._characters(caller, board)
        for shot in board.shots:
            servable(shot, board.size, videos.engine_infos)
        admission = await videos.let_in(caller)
        with service.rate_headers_on_errors(admission):
            schedule = videos.accounts.schedule(admission, False)
            for shot in board.shots:
                with naming(shot.param):
                    await videos.moderation.screen_prompt(shot.prompt)
            admitted = service.Admitted(caller, request_id, admission, schedule, key, fingerprint)
            checked: dict[int, images.CheckedImage] = {}
            try:
                for shot in board.shots:
                    if shot.input_reference is not None:
                        with naming(shot.param):
                            image = await videos.reference_image(
                                shot.input_reference,
                                shot.model,
                                board.size,
                                project_id=caller.project_id,
                            )
                        if image is not None:
                            checked[shot.index] = image
                return await self._queue(admitted, board, characters, checked)
            finally:
                for opened in checked.values():
                    opened.file.close()

    async def preflight(self, caller: service.Caller, params: Mapping[str, Any]) -> dict[str, Any]:
        """What a create with this body would meet, shot by shot, without creating, counting
        or charging anything: the body is refused as a create refuses it, except that a
        blocked prompt is flagged (as the single preflight flags it); each shot's report is
        the single preflight's, so the two never disagree."""
        videos = self.videos
        board = parse(videos.catalog, params)
        await self._characters(caller, board)
        for shot in board.shots:
            servable(shot, board.size, videos.engine_infos)
        for shot in board.shots:
            if shot.input_reference is not None:
                with naming(shot.param):
                    image = await videos.reference_image(
                        shot.input_reference, shot.model, board.size, project_id=caller.project_id
                    )
                if image is not None:
                    image.file.close()
        reports: list[dict[str, Any]] = []
        for shot in board.shots:
            ask = {"prompt": shot.prompt, "model": shot.model_name, "size": board.size}
            with naming(shot.param):
                report = await videos.preflight({**ask, "seconds": str(shot.seconds)})
            report.pop("object")
            reports.append({"index": shot.index, **report})
        estimates = [r["estimate"] for r in reports]
        return {
            "object": "video.storyboard.preflight",
            "model": board.model.name,
            "size": board.size,
            "seconds": str(board.seconds),
            "shots": reports,
            "moderation": {
                "blocked": any(r["moderation"]["blocked"] for r in reports),
                "shots": [r["index"] for r in reports if r["moderation"]["blocked"]],
            },
            "estimate": {
                "credits": sum(e["credits"] for e in estimates),
                # prices are whole micro-dollars: the sum without float dust (1.6, not
                # 1.6000000000000003)
                "cost_usd": round(sum(e["cost_usd"] for e in estimates), 6),
                "relaxed": False,
            },
        }

    async def _characters(self, caller: service.Caller, board: Board) -> list[tuple[str, ...]]:
        """Each shot's character ids: its own ``characters`` (named in its prompt), else the
        storyboard's that its prompt names (each of those named by some shot)."""
        people = self.videos.characters
        drawn = catalog.Capability.CHARACTERS
        asked = [(s.model, f"{s.param}.characters") for s in board.shots if s.characters]
        if board.characters:
            asked.append((board.model, "characters"))
        for model, param in asked:
            if people is None or not model.has(drawn):
                raise errors.UnsupportedParameter(
                    f"Model {model.name!r} does not take characters here.", param=param
                )
        if people is None or not asked:
            return [() for _ in board.shots]
        project = caller.project_id
        shared = await people.referenced(project, board.characters, board.prompt)
        names = {cid: (await people.get(project, cid)).name for cid in shared}
        found: list[tuple[str, ...]] = []
        for shot in board.shots:
            if shot.characters:
                with naming(shot.param):
                    found.append(await people.referenced(project, shot.characters, shot.prompt))
            elif shot.model.has(drawn):
                found.append(tuple(cid for cid in shared if names[cid] in shot.prompt))
            else:
                found.append(())
        return found

    async def _queue(
        self,
        admitted: service.Admitted,
        board: Board,
        characters: Sequence[tuple[str, ...]],
        checked: Mapping[int, images.CheckedImage],
    ) -> service.Created:
        """Store the shots' input images, then the storyboard and its shots in one insert."""
        videos = self.videos
        parent_id = ids.new_id("video")
        logs.video_id.set(parent_id)
        shot_ids = [ids.new_id("video") for _ in board.shots]
        stored: list[str] = []
        try:
            shots: list[NewVideo] = []
            for shot, shot_id, people in zip(board.shots, shot_ids, characters, strict=True):
                reference = None
                if (image := checked.get(shot.index)) is not None:
                    stored.append(shot_id)
                    reference = await videos.store_image(shot_id, image)
                row = self._shot_row(admitted, board, shot, parent_id, shot_ids, people)
                seed = row.seed
                if board.seed is None and image is not None:
                    # As a create's: the image is part of what the derived seed depends on.
                    seed = ids.stable_seed(
                        shot.model.name, shot.prompt, board.size, shot.seconds, image.sha256
                    )
                shots.append(replace(row, input_reference=reference, seed=seed))
            parent = self._parent_row(admitted, board, parent_id, shot_ids)
            outcome = await videos.videos.insert_storyboard(
                parent,
                shots,
                videos.idempotency_key(admitted),
                queue_limit=videos.settings.project_queue_limit,
            )
        except BaseException as exc:
            for shot_id in stored:
                await videos.storage.delete_prefix(f"videos/{shot_id}/")
            if isinstance(exc, QueueLimitReached):
                raise videos.queue_full() from None
            raise
        if isinstance(outcome, KeyTaken):
            for shot_id in stored:
                await videos.storage.delete_prefix(f"videos/{shot_id}/")
            return await videos.replay(admitted.caller, outcome, admitted.fingerprint)
        videos.queued(1 + len(shots))
        return service.Created(outcome[0], headers=admitted.admission.headers)

    def _shot_row(
        self,
        admitted: service.Admitted,
        board: Board,
        shot: Shot,
        parent_id: str,
        shot_ids: Sequence[str],
        people: tuple[str, ...],
    ) -> NewVideo:
        """A shot's row: an ordinary job with its own reservation; shot i of a storyboard
        with a seed gets ``seed + i``."""
        seed = (
            (board.seed + shot.index) % (validation.MAX_SEED + 1)
            if board.seed is not None
            else ids.stable_seed(shot.model.name, shot.prompt, board.size, shot.seconds, "")
        )
        continues = shot.transition == "continue"
        sources = jobs.Sources(
            video_id=shot_ids[shot.index - 1] if continues else None,
            characters=people,
            storyboard_id=parent_id,
            shot_index=shot.index,
            transition=shot.transition,
            crossfade_seconds=shot.crossfade_seconds,
            negative_prompt=shot.negative_prompt,
            captions=shot.captions,
        )
        spec = service.JobSpec(
            kind=jobs.JobKind.SHOT,
            model_name=shot.model_name,
            model=shot.model,
            prompt=shot.prompt,
            size=board.size,
            seconds=shot.seconds,
            seed=seed,
            sources=sources,
        )
        row = self.videos.new_video(admitted, spec, shot_ids[shot.index], None, sources)
        if continues:
            # Not before the shot it continues has succeeded: the coordinator releases it,
            # and the wait does not count against its deadline.
            return replace(
                row, storyboard_id=parent_id, run_at=jobs.WAITING_RUN_AT, deadline_seconds=None
            )
        return replace(row, storyboard_id=parent_id)

    def _parent_row(
        self, admitted: service.Admitted, board: Board, parent_id: str, shot_ids: Sequence[str]
    ) -> NewVideo:
        """The video the user sees: the total length, every prompt, nothing reserved (each
        shot is reserved and charged itself), no deadline (its shots have theirs)."""
        seed = board.seed
        if seed is None:
            seed = ids.stable_seed(board.model.name, board.prompt, board.size, board.seconds, "")
        sources = jobs.Sources(soundtrack=board.soundtrack, shots=len(shot_ids))
        spec = service.JobSpec(
            kind=jobs.JobKind.STORYBOARD,
            model_name=board.model_name,
            model=board.model,
            prompt=board.prompt,
            size=board.size,
            seconds=board.seconds,
            seed=seed,
            sources=sources,
        )
        row = self.videos.new_video(admitted, spec, parent_id, None, sources)
        return replace(row, reservation=None, deadline_seconds=None)

    # ------------------------------------------------------------------ read

    async def storyboard(self, caller: service.Caller, video_id: str) -> jobs.Video:
        """The caller's storyboard, or 404 (no such video) / 400 (a video of another kind)."""
        video = await self.videos.get(caller, video_id)
        if video.kind is not jobs.JobKind.STORYBOARD:
            raise errors.NotAStoryboard(
                f"Video {video.id} is not a storyboard (it is a {video.kind.value}); only a "
                "video made by POST /v1/videos/storyboards has shots.",
                param="video_id",
            )
        return video

    async def shots(self, caller: service.Caller, video_id: str) -> list[jobs.Video]:
        """A storyboard's shots in order."""
        board = await self.storyboard(caller, video_id)
        return await self.videos.videos.shots(board.id)

    async def retry(
        self, caller: service.Caller, video_id: str, index: str, params: Mapping[str, Any]
    ) -> service.Created:
        """Render shot ``index`` of a failed storyboard again (its prompt replaced when
        given), with the shots cancelled because it failed, and stitch again: only the
        requeued shots are reserved and charged again."""
        validation.check_fields(params, RETRY_FIELDS)
        given = params.get("prompt")
        prompt = None if given is None else validation.prompt(given)
        board = await self.storyboard(caller, video_id)
        shots = await self.videos.videos.shots(board.id)
        number = numeric.whole(index, 0, len(shots) - 1)
        if number is None:
            raise errors.InvalidValue(
                f"Storyboard {board.id} has no shot {errors.show(index)}; its shots are numbered "
                f"0 to {len(shots) - 1}.",
                param="index",
            )
        _check_retryable(board, shots[number], number)
        admission = await self.videos.let_in(caller)
        with service.rate_headers_on_errors(admission):
            if prompt is not None:
                await self.videos.moderation.screen_prompt(prompt)
            again = [s for s in shots if s.status is not jobs.JobStatus.SUCCEEDED]
            reservations = {
                shot.id: self.videos.accounts.reservation(
                    admission, shot.id, self._model(shot), shot.size, int(shot.seconds), False
                )
                for shot in again
            }
            try:
                video = await self.videos.videos.retry_shot(board.id, number, prompt, reservations)
            except LookupError:
                raise errors.VideoNotFound(
                    f"Video with id {errors.show(video_id)} not found.", param="video_id"
                ) from None
            except ValueError as exc:
                raise errors.ShotNotRetryable(str(exc), param="index") from None
        self.videos.queued(len(again))
        return service.Created(video, headers=admission.headers)

    def _model(self, shot: jobs.Video) -> catalog.ModelSpec:
        model = self.videos.catalog.get(shot.catalog_model)
        if model is None:
            raise errors.InvalidValue(
                f"Shot {shot.sources.shot_index}'s model {shot.catalog_model!r} is no longer "
                "served here, so it cannot be rendered again.",
                param="index",
            )
        return model


def _check_retryable(board: jobs.Video, shot: jobs.Video, number: int) -> None:
    """Only a shot that failed or was cancelled, of a storyboard that failed."""
    if shot.status is jobs.JobStatus.SUCCEEDED:
        raise errors.ShotNotRetryable(
            f"Shot {number} of storyboard {board.id} succeeded; only a failed or cancelled shot "
            "is rendered again.",
            param="index",
        )
    if board.status is not jobs.JobStatus.FAILED:
        raise errors.ShotNotRetryable(
            f"Storyboard {board.id} is {board.public_status}; a shot is retried once the "
            "storyboard has failed.",
            param="index",
        )
