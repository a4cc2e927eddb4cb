"""The loaded model: diffusers pipelines on one device, and one segment generated with them.

Only the render child imports this module (it imports torch and diffusers); the engine's
options, info and arithmetic live elsewhere so the API and the worker's main process never
load torch.  Weights are read from the operator's folder with ``local_files_only``: nothing is
ever downloaded.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from reelway.engines.diffusers import families
from reelway.engines.diffusers.families import Family

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub, whatever the folder says
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

# Imported after the offline switches above, which they read when first imported.
import diffusers
import torch
import transformers

diffusers.utils.logging.set_verbosity_error()  # progress bars and load notes: not for a server log
diffusers.utils.logging.disable_progress_bar()
transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
OFFLOADS = ("none", "model", "sequential", "group")


class OutOfMemory(Exception):
    """The device ran out of memory; the pipeline's memory was freed before this was raised."""


@dataclass(frozen=True)
class LoadOptions:
    folder: Path
    family: Family
    device: str
    dtype: str
    offload: str = "none"
    compile: bool = False
    vae_tiling: bool = False


class Loaded:
    """A family's pipelines, built once on one device, generating one segment at a time.

    Not thread-safe: diffusers keeps per-call state on the pipeline, so one job at a time.
    """

    def __init__(self, options: LoadOptions) -> None:
        started = time.monotonic()
        self.options = options
        self.family = options.family
        self.device = options.device
        missing = families.missing_parts(options.folder)
        if missing:
            raise ValueError(f"{options.folder} lacks " + ", ".join(missing))
        dtype = DTYPES[options.dtype]
        text_class = getattr(diffusers, self.family.text_to_video)
        kwargs: dict[str, Any] = {"local_files_only": True, "dtype": dtype}
        if self.family.name.startswith("wan"):
            # The Wan VAE must stay in float32 (its outputs band otherwise).
            vae = diffusers.AutoencoderKLWan.from_pretrained(
                options.folder, subfolder="vae", local_files_only=True, dtype=torch.float32
            )
            kwargs["vae"] = vae
        self.text = text_class.from_pretrained(options.folder, **kwargs)
        self.text.set_progress_bar_config(disable=True)
        self._place(self.text)
        self.image: Any = None
        if self.family.image_to_video is not None:
            image_class = getattr(diffusers, self.family.image_to_video)
            self.image = image_class.from_pipe(self.text)
            self.image.set_progress_bar_config(disable=True)
        self.video: Any = None
        if self.family.video_to_video is not None:
            video_class = getattr(diffusers, self.family.video_to_video)
            self.video = video_class.from_pipe(self.text)
            self.video.set_progress_bar_config(disable=True)
        if options.compile:
            compile_blocks = getattr(self.text.transformer, "compile_repeated_blocks", None)
            if compile_blocks is not None:
                compile_blocks(fullgraph=True)
        self.load_seconds = time.monotonic() - started

    def _place(self, pipe: Any) -> None:
        cuda = self.device.startswith("cuda")
        offload = self.options.offload
        if offload != "none" and not cuda:
            offload = "none"  # offloading hooks need a CUDA device; on a CPU it means nothing
        if offload == "model":
            pipe.enable_model_cpu_offload(device=self.device)
        elif offload == "sequential":
            pipe.enable_sequential_cpu_offload(device=self.device)
        elif offload == "group":
            pipe.enable_group_offload(
                onload_device=torch.device(self.device),
                offload_device=torch.device("cpu"),
                offload_type="leaf_level",
            )
        else:
            pipe.to(self.device)
        if self.options.vae_tiling and hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()

    def generate(
        self,
        *,
        prompt: str,
        negative_prompt: str,
        width: int,
        height: int,
        frames: int,
        fps: int,
        steps: int,
        guidance: float,
        seed: int,
        image: Image.Image | None,
        on_step: Callable[[int], None],
        source: list[Image.Image] | None = None,
        strength: float = 0.6,
    ) -> NDArray[np.uint8]:
        """One segment, ``frames`` x ``height`` x ``width`` x 3 RGB.

        ``on_step`` is called after every denoising step with the number done; it may raise
        to stop (the exception propagates).  A CPU generator seeded with ``seed`` gives the
        same noise on any device, so the same request gives the same frames on one device.
        """
        pipe = self.text if image is None else self.image
        if source is not None:
            pipe = self.video
        if pipe is None:
            wanted = "remake a video" if source is not None else "start from an image"
            raise ValueError(f"the {self.family.name} family cannot {wanted}")

        def step_end(_pipe: Any, index: int, _timestep: Any, values: dict[str, Any]) -> Any:
            on_step(index + 1)
            return values

        arguments: dict[str, Any] = {
            "prompt": prompt,
            "negative_prompt": negative_prompt or None,
            "height": height,
            "width": width,
            "num_frames": frames,
            "num_inference_steps": steps,
            "guidance_scale": guidance,
            "generator": torch.Generator("cpu").manual_seed(seed),
            "output_type": "np",
            "callback_on_step_end": step_end,
        }
        if source is not None:
            arguments["video"] = source
            arguments[self.family.video_strength] = strength
        elif image is not None:
            arguments["image"] = image
        if self.family.name == "ltx":
            arguments["frame_rate"] = fps
        with self._out_of_memory_freed(), warnings.catch_warnings():
            # diffusers' LTX condition pipeline hands a tensor to np.array (numpy 2 warns);
            # the model stack's own deprecation noise is not the job's business.
            warnings.filterwarnings("ignore", message=r"__array__ implementation doesn't accept")
            result = pipe(**arguments)
        video = np.asarray(result.frames[0])
        del result
        return np.clip(np.rint(video * 255.0), 0, 255).astype(np.uint8)

    @contextlib.contextmanager
    def _out_of_memory_freed(self) -> Iterator[None]:
        """Turn the device's out-of-memory error into ``OutOfMemory`` once its memory is
        free again: the exception's traceback holds the step's tensors, so it is dropped
        before the cache is emptied."""
        failed = False
        try:
            with torch.inference_mode():
                yield
        except torch.OutOfMemoryError:
            failed = True
        except RuntimeError as exc:
            if "out of memory" not in str(exc) and "can't allocate memory" not in str(exc):
                raise
            failed = True
        if failed:
            self.free_memory()
            raise OutOfMemory()

    def free_memory(self) -> None:
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def memory_bytes(self) -> int | None:
        """Peak device memory since the last reset (CUDA), or the process's peak RSS (CPU)."""
        if self.device.startswith("cuda") and torch.cuda.is_available():
            return int(torch.cuda.max_memory_allocated(torch.device(self.device)))
        with contextlib.suppress(ImportError):
            import resource

            return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
        return None

    def reset_peak(self) -> None:
        if self.device.startswith("cuda") and torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats(torch.device(self.device))
