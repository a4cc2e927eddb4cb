"""``reelway promote VIDEO_ID --size SIZE``: render a completed draft again at a final size.

It prints what draft-then-promote costs against rendering every iteration at the final size
(the preflight's ``draft_plan``, ``--drafts`` iterations), queues the promote, follows it with
a progress bar and saves the MP4.  With ``--base-url`` it speaks the HTTP API like any client;
without, it runs an embedded instance on the data dir (as ``reelway generate`` does).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import httpx

from reelway import errors
from reelway.cli.common import (
    api_json,
    api_root,
    client_options,
    load_settings,
    open_runtime,
    run,
)
from reelway.cli.follow import follow_embedded, follow_remote, refused
from reelway.promote import Promoter
from reelway.runtime import DEFAULT_PROJECT
from reelway.service import Caller
from reelway.settings import Settings


@click.command()
@click.argument("video_id")
@click.option("--size", required=True, help="The final's size, e.g. 1280x720.")
@click.option("--model", default=None, help="The final's model (default: the draft's).")
@click.option("--seconds", default=None, help="The final's length (default: the draft's).")
@click.option(
    "--drafts",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="How many drafts it took, for the cost comparison.",
)
@client_options
def promote(
    video_id: str,
    size: str,
    model: str | None,
    seconds: str | None,
    drafts: int,
    output: Path | None,
    base_url: str | None,
    api_key: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Render the completed draft VIDEO_ID again at --size (same prompt, seed, image and
    characters), and show what drafting at 480p saved."""
    body = {k: v for k, v in {"size": size, "model": model, "seconds": seconds}.items() if v}
    if base_url is not None:
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise click.UsageError("--base-url needs --api-key or OPENAI_API_KEY")
        run(lambda: _remote(api_root(base_url), key, video_id, body, drafts, output))
    else:
        settings = load_settings(data_dir=data_dir, config=config)
        run(lambda: _embedded(settings, video_id, body, drafts, output))


def plan_lines(plan: dict[str, Any] | None, drafts: int) -> list[str]:
    """The comparison as the command prints it (USD and credits)."""
    if plan is None:
        return ["no 480p draft size for this size: nothing to compare"]
    credits = plan["credits"]
    return [
        f"{drafts} draft(s) at {plan['draft_size']}: ${plan['draft_cost']:.4f} "
        f"({credits['draft_cost']} credits)",
        f"final at {plan['final_size']}: ${plan['final_cost']:.4f} ({credits['final_cost']} "
        "credits)",
        f"draft then promote: ${plan['total']:.4f} ({credits['total']} credits); every "
        f"iteration at {plan['final_size']}: ${plan['all_full_cost']:.4f} "
        f"({credits['all_full_cost']} credits); saved ${plan['saving']:.4f} "
        f"({credits['saving']} credits)",
    ]


def _preflight_params(draft: dict[str, Any], body: dict[str, Any], drafts: int) -> dict[str, Any]:
    return {
        "prompt": draft["prompt"],
        "model": body.get("model", draft["model"]),
        "size": body["size"],
        "seconds": str(body.get("seconds", draft["seconds"])),
        "drafts": drafts,
    }


async def _remote(
    root: str,
    key: str,
    video_id: str,
    body: dict[str, Any],
    drafts: int,
    output: Path | None,
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=root, headers=headers, timeout=60) as client:
        draft = api_json(await client.get(f"/videos/{video_id}"))
        video = api_json(await client.post(f"/videos/{video_id}/promote", json=body))
        asked = _preflight_params(draft, body, drafts)
        priced = await client.post("/videos/preflight", json=asked)
        plan = priced.json().get("draft_plan") if priced.status_code == 200 else None
        for line in plan_lines(plan, drafts):
            click.echo(line)
        final_id = video["id"]
        click.echo(f"queued {final_id} ({video['model']}, {video['size']}, {video['seconds']}s)")
        target = await follow_remote(client, final_id, output)
    click.echo(f"saved {target}")


async def _embedded(
    settings: Settings, video_id: str, body: dict[str, Any], drafts: int, output: Path | None
) -> None:
    runtime = await open_runtime(settings)
    worker = runtime.worker(1)
    try:
        project, _ = await runtime.keys.ensure_project(DEFAULT_PROJECT)
        caller = Caller(project_id=project.id, key_id="cli")
        try:
            draft = await runtime.service.get(caller, video_id)
            video = (await Promoter(runtime.service).promote(caller, video_id, body)).video
            shown = {"prompt": draft.prompt, "model": draft.model, "seconds": draft.seconds}
            found = await runtime.service.preflight(_preflight_params(shown, body, drafts))
        except errors.RequestError as exc:
            raise refused(exc) from None
        for line in plan_lines(found.get("draft_plan"), drafts):
            click.echo(line)
        click.echo(f"queued {video.id} ({video.model}, {video.size}, {video.seconds}s)")
        await worker.start()
        target = await follow_embedded(runtime, caller, video.id, output)
        click.echo(f"saved {target}")
    finally:
        await worker.stop(0)
        await runtime.close()
