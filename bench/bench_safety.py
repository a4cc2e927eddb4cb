"""What safety costs per video, against the work it sits beside, measured in the same run.

(a) Finishing a rendered 1280x720, 8 s animatic video: C2PA signing of the video and both
    previews, and the visible watermark plus signing, each as a fraction of the render itself.
    Targets: signing at most 0.05x the render, watermark plus signing at most 0.6x.
(b) Checks before a job exists, per request: the prompt rules and the preflight review
    against validating the prompt alone; face detection on a 1280x720 PNG against decoding and
    checking it (``images.check``, which every image upload already pays).
    Target: face detection at most 1.0x the image check.

Run: ``.venv/bin/python -m bench.bench_safety``
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.faces import face_image

from reelway import images
from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
from reelway.media import certificates, provenance, watermark
from reelway.policy import faces, preflight, prompt_rules

PROMPT = "A red fox running through a snowy forest at golden hour, tracking shot, watercolor"
RUNS = 5


def _median(work: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _report(name: str, seconds: float, baseline: float, target: float) -> None:
    ratio = seconds / baseline
    verdict = "ok" if ratio <= target else "FAIL"
    print(f"  {name:34} {seconds * 1000:9.2f} ms  {ratio:6.3f}x  (target <= {target}x) {verdict}")


def finishing(folder: Path) -> None:
    request = base.GenerationRequest("video_bench", "sora-2", PROMPT, 1280, 720, 8, 7)
    out = base.RenderOutput(folder / "v.mp4", folder / "t.webp", folder / "s.jpg")
    engine = AnimaticEngine()
    render = _median(lambda: engine.render(request, out, lambda _: None), runs=3)
    signer = provenance.Signer(certificates.development(folder / "c2pa"))
    claim = provenance.Claim("v.mp4", "sora-2", "animatic", "video_bench", "bench")

    def sign_all() -> None:
        for src, mime in ((out.video, "video/mp4"), (out.thumbnail, "image/webp")):
            signer.sign(src, folder / ("signed" + src.suffix), mime, claim)
        signer.sign(out.spritesheet, folder / "signed.jpg", "image/jpeg", claim)

    mark = watermark.Watermark()

    def mark_and_sign() -> None:
        watermark.apply_to_video(out.video, folder / "marked.mp4", mark)
        shutil.copy(out.thumbnail, folder / "marked.webp")
        watermark.apply_to_image(folder / "marked.webp", mark)
        signer.sign(folder / "marked.mp4", folder / "marked.mp4", "video/mp4", claim)

    print(f"finishing a 1280x720 8 s video (render: {render:.2f} s, the baseline)")
    _report("C2PA: video + thumbnail + sprites", _median(sign_all), render, 0.05)
    _report("watermark (video, thumbnail) + sign", _median(mark_and_sign, 3), render, 0.6)


def checks() -> None:
    rules = prompt_rules.load()
    detector = faces.FaceDetector()
    png = face_image(1280, 720)
    n = 200
    validate = _median(lambda: [PROMPT.strip() and "\x00" not in PROMPT for _ in range(n)]) / n
    print(f"checks before a job exists (per request; validation alone {validate * 1e6:.2f} µs)")
    per_rules = _median(lambda: [rules.findings(PROMPT) for _ in range(n)]) / n
    per_review = _median(lambda: [preflight.review(PROMPT) for _ in range(n)]) / n
    print(f"  prompt rules                       {per_rules * 1e6:9.1f} µs")
    print(f"  preflight review                   {per_review * 1e6:9.1f} µs")

    def check_image() -> None:
        images.check_bytes(
            png, param="input_reference", max_bytes=1 << 26, expected_size=(1280, 720)
        )

    decode = _median(check_image)
    _report(
        "face detection (1280x720 PNG)", _median(lambda: detector.count_faces(png)), decode, 1.0
    )
    print(f"  (images.check baseline: {decode * 1000:.2f} ms)")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        finishing(Path(folder))
    print()
    checks()


if __name__ == "__main__":
    main()
