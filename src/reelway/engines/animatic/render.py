"""Frames: compose the canvas for frame *i*, then finish the encoded frame with overlays.

Per frame the renderer pastes pre-drawn pieces (back plate, layer bands, props, the subject
pose) into one reused canvas, draws weather particles as points, and hands the encoder a
*view* of the canvas: the crop that the camera's zoom and shake select.  The encoder's
swscale pass scales that crop to the output size while converting it to yuv420p, so zoom
costs nothing extra.  Captions and screen-space style treatments are then applied to the
yuv420p frame (see ``captions``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from av.video.frame import VideoFrame
from numpy.typing import NDArray
from PIL import Image

from reelway.engines.animatic import canvas as canvas_mod
from reelway.engines.animatic import captions as captions_mod
from reelway.engines.animatic import layers, motion, palette, seeding, sprites, styles
from reelway.engines.animatic import scene as scene_mod

U8 = NDArray[np.uint8]
PARTICLES = {"rain": 300, "snow": 140, "petals": 60, "wind": 40, "bubbles": 40}


class Renderer:
    """Turns a scene (and optionally a first-frame image) into frames on demand."""

    def __init__(
        self,
        scene: scene_mod.Scene,
        input_image: Path | None = None,
        *,
        captions: bool = True,
        scale: float = 1.0,
    ) -> None:
        scene = styles.restyle(scene)  # the finer look (oil, sketch, documentary) and its palette
        self.scene = scene
        self.pixelated = scene.style == "pixel" and input_image is None
        if self.pixelated:  # a low-resolution canvas, scaled up without filtering
            block = max(2, round(scene.height / 90))
            cw, ch = scene.width // block, scene.height // block
        else:
            cw, ch = max(16, round(scene.width * scale)), max(16, round(scene.height * scale))
        self.cw, self.ch = cw, ch
        self.motion = motion.Motion(scene, cw, ch)
        noise = styles.Noise(scene.seed)
        self.baker = styles.Baker(scene, ch, noise)
        self.screen = styles.Screen(scene, noise)
        self.weave = styles.Weave(scene)
        self._grain: list[U8] = []
        self._vignette: NDArray[np.uint16] | None = None
        self.image: U8 | None = None
        if input_image is not None:
            with Image.open(input_image) as img:
                rgb = img.convert("RGB")
            if rgb.size != (scene.width, scene.height):
                got, want = f"{rgb.width}x{rgb.height}", f"{scene.width}x{scene.height}"
                raise ValueError(f"input image is {got}, expected {want}")
            self.image = np.asarray(rgb)
        else:
            self._build()
        if scene.style == "vintage":
            self._build_film()
        # Captions and the shot label go where the subject never is, over the whole clip.
        avoid = self.subject_boxes() if captions and self.image is None else []
        self.overlay = captions_mod.Overlay(
            scene, fade_in=input_image is not None and not scene.loop, enabled=captions, avoid=avoid
        )

    # ------------------------------------------------------------------ setup

    def _build(self) -> None:
        s, m = self.scene, self.motion
        x0, x1, y0, y1 = m.extents()
        pivot = motion.SUBJECT_DEPTH if s.camera == "orbit" else 0.0
        # Margins in whole 8-pixel blocks: the plate's soft glows are drawn on an 8x8 grid,
        # which then stays on the same world pixels whatever the extents (an extension's).
        margin = (
            -(-(int(max(abs(x0), abs(x1)) * layers.BACK_DEPTH) + 4) // 8) * 8,
            -(-(int(max(abs(y0), abs(y1)) * layers.BACK_DEPTH) + 4) // 8) * 8,
        )
        self.margin = margin
        self.plate = self.baker.plate(layers.back_plate(s, self.cw, self.ch, m.horizon, margin))
        all_layers = layers.build_layers(
            s, self.cw, self.ch, m.horizon, m.ground, (x0, x1, y0, y1), pivot
        )
        if self.baker.active:
            for layer in all_layers:
                layer.redraw(self.baker.piece)
        self.behind, self.front = all_layers[:-1], all_layers[-1:]
        if s.setting in ("space", "sky", "interior"):
            self.behind, self.front = all_layers, []
        if s.weather == "fog" and "fog" not in s.left_out:  # mist banks drifting in depth
            far, near = layers.fog_banks(s, self.cw, self.ch, m.horizon, (x0, x1), pivot)
            self.behind.append(far)
            self.front.append(near)
        self.subject, self.companion = self._figures()
        self._place_companion()
        self.canvas = canvas_mod.Canvas(self.cw, self.ch)
        self.plate = self.plate.convert("RGBA")
        weather = s.weather or ("bubbles" if s.setting == "underwater" else None)
        if weather == "fog" or weather in s.left_out:
            weather = None
        self.weather = weather
        if weather:
            r = seeding.rng(s.seed, "particles")
            n = PARTICLES[weather]
            self._particles = r.random((n, 3)).astype(np.float32)

    def _figures(self) -> tuple[sprites.SubjectSprites | None, sprites.SubjectSprites | None]:
        """The subject's sprites and the companion's: a rider is drawn on its mount, as one
        figure (the mount's family, size and colour), so it moves with it."""
        s = self.scene
        kind, other = s.subject_kind, s.companion
        if kind is None:
            return None, None
        unit = {"close": 2.0, "wide": 0.55}.get(s.shot, 1.0) * min(self.cw, self.ch)
        outline = s.palette.outline
        if s.pairing == "riding" and other is not None and s.companion_colour is not None:
            rider = sprites.Rider(
                s.analysis.subject_family or "person", s.palette.subject, s.figure.pattern
            )
            size = sprites.SIZE.get(kind, 0.2) * min(1.6, other.size) * unit
            action = sprites.mount_action(kind, s.action)
            mount = sprites.SubjectSprites(
                kind, size, s.companion_colour, outline, action, count=s.figure.count, rider=rider
            )
            return mount, None
        size = sprites.SIZE.get(kind, 0.2) * min(1.6, palette.noun_look(s.analysis)[1]) * unit
        subject = sprites.SubjectSprites(
            kind, size, s.palette.subject, outline, s.action,
            pattern=s.figure.pattern, count=s.figure.count, label=s.figure.label,
        )  # fmt: skip
        if other is None or s.companion_colour is None:
            return subject, None
        size = sprites.SIZE.get(other.kind, 0.2) * min(1.6, other.size) * unit
        companion = sprites.SubjectSprites(other.kind, size, s.companion_colour, outline, s.action)
        return subject, companion

    def _place_companion(self) -> None:
        """Where the companion goes, once per shot: a step behind the subject (ahead of it,
        when the subject chases it), on the ground under a flying subject or in the air
        beside a walking one, the step shortened (or, at last, turned round) so that both
        stay in the frame over the whole clip."""
        self._step = 0.0
        self._on_ground = False
        self._lift = 0.0
        if self.subject is None or self.companion is None:
            return
        m = self.motion
        flip = m.direction < 0
        lead, other = self.subject.get(0.0, 0.0, flip), self.companion.get(0.0, 0.0, flip)
        ahead = 1.0 if self.scene.pairing == "ahead" else -1.0
        step = 0.42 * (lead.width + other.width) * ahead * m.direction
        flies = self.companion.mode in ("air", "hover")
        underfoot = self.scene.setting not in ("space", "sky", "underwater")
        self._on_ground = m.airborne and not flies and underfoot
        if flies and not m.airborne:
            self._lift = -0.8 * lead.height
        for k in (1.0, 0.75, 0.5, -1.0):
            self._step = step * k
            if self._companion_inside():
                return
        self._step = step

    def _companion_at(self, x: float, y: float, dy: float) -> tuple[float, float]:
        """The companion's anchor (bottom centre) for a subject whose anchor is (x, y)."""
        if self._on_ground:
            return x + self._step, self.motion.ground + dy
        return x + self._step, y + self._lift

    def _companion_inside(self) -> bool:
        """Whether the companion's box stays inside every frame's view."""
        assert self.companion is not None
        flip = self.motion.direction < 0
        pose = self.companion.get(0.0, 0.0, flip)
        margin = 0.02 * self.cw + 2  # other poses reach a little further; the weave crops
        for index in range(self.scene.frame_count):
            x, y, cy, cam = self._subject_at(index)
            cx, base = self._companion_at(x, y, cam.y * motion.SUBJECT_DEPTH)
            wx, wy, ww, wh = self._window(cam, x, cy)
            if cx - pose.width / 2 < wx + margin or cx + pose.width / 2 > wx + ww - margin:
                return False
            if base - pose.height < wy or base > wy + wh + 2:
                return False
        return True

    def _subject_at(self, index: int) -> tuple[float, float, float, motion.CameraState]:
        """The subject's anchor and centre height on the canvas at frame ``index``, and the
        camera there (as ``picture`` places them)."""
        assert self.subject is not None
        cam = self.motion.camera(index)
        st = self.motion.subject(index)
        x = st.x - cam.x * (motion.SUBJECT_DEPTH - cam.pivot)
        y = st.y + cam.y * motion.SUBJECT_DEPTH
        base = self.subject.get(st.phase, 0.0, self.motion.direction < 0)
        return x, y, y - base.height / 2, cam

    def _build_film(self) -> None:
        """Vintage: a few grain fields and a vignette, made once and reused in turn."""
        w, h = self.scene.width, self.scene.height
        r = seeding.rng(self.scene.seed, "grain")
        for _ in range(4):
            noise = r.integers(-7, 8, (h, w), dtype=np.int16)
            self._grain.append(noise.astype(np.uint8))  # two's complement: adding wraps back
        yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
        xx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
        fall = np.clip(1.0 - 0.45 * np.maximum(0.0, (xx * xx + yy * yy) * 0.75 - 0.25), 0.55, 1.0)
        self._vignette = np.round(fall * 256).astype(np.uint16)

    # ------------------------------------------------------------------ per frame

    def picture(self, index: int) -> U8:
        """The RGB(A) crop for frame ``index``; the encoder scales it to the output size."""
        if self.image is not None:
            return self._ken_burns(index)
        s = self.scene
        t = (s.start_frame + index) / s.fps  # the whole timeline's clock (an extension's too)
        cam = self.motion.camera(index)
        mx, my = self.margin
        bx = -mx + cam.x * layers.BACK_DEPTH * 0.25
        by = -my + cam.y * layers.BACK_DEPTH
        canvas = self.canvas
        canvas.put(self.plate, round(bx), round(by))
        if s.style == "synthwave" and s.setting != "interior":
            self._grid(cam, t)
        for layer in self.behind:
            layer.draw(canvas, cam, t)
        sx, sy = self._draw_subject(index, cam)
        for layer in self.front:
            layer.draw(canvas, cam, t)
        if self.weather:
            self._draw_particles(cam, t)
        pixels = canvas.array()
        view = self._crop(pixels, cam, sx, sy)
        dx, dy = self.weave.at(index)
        if dx or dy:  # gate weave, stop-motion jitter: the picture shifts a pixel or two
            h, w = view.shape[:2]
            view = view[2 + dy : h - 2 + dy, 2 + dx : w - 2 + dx]
        return view

    def subject_boxes(self) -> list[tuple[float, float, float, float]]:
        """The box (x0, y0, x1, y1, output pixels) round the subject and its companion in
        every frame: where the picture puts them after the camera's crop and zoom."""
        boxes: list[tuple[float, float, float, float]] = []
        if self.subject is None:
            return boxes
        s = self.scene
        flip = self.motion.direction < 0
        for index in range(s.frame_count):
            cam = self.motion.camera(index)
            st = self.motion.subject(index)
            x = st.x - cam.x * (motion.SUBJECT_DEPTH - cam.pivot)
            y = st.y + cam.y * motion.SUBJECT_DEPTH
            base = self.subject.get(st.phase, 0.0, flip)
            cy = y - base.height / 2
            a = np.radians(st.angle)  # a turned pose's box, from the upright one's
            half_w = (abs(np.cos(a)) * base.width + abs(np.sin(a)) * base.height) / 2
            half_h = (abs(np.sin(a)) * base.width + abs(np.cos(a)) * base.height) / 2
            x0, x1, y0, y1 = x - half_w, x + half_w, cy - half_h, cy + half_h
            if self.companion is not None:
                pose = self.companion.get(0.0, 0.0, flip)
                px, py = self._companion_at(x, y, cam.y * motion.SUBJECT_DEPTH)
                x0 = min(x0, px - pose.width / 2)
                x1 = max(x1, px + pose.width / 2)
                y0, y1 = min(y0, py - pose.height), max(y1, py)
            wx, wy, ww, wh = self._window(cam, x, cy)
            dx, dy = self.weave.at(index)
            if dx or dy:
                wx, wy, ww, wh = wx + 2 + dx, wy + 2 + dy, ww - 4, wh - 4
            kx, ky = s.width / ww, s.height / wh
            boxes.append(((x0 - wx) * kx, (y0 - wy) * ky, (x1 - wx) * kx, (y1 - wy) * ky))
        return boxes

    def _draw_subject(self, index: int, cam: motion.CameraState) -> tuple[float, float]:
        if self.subject is None:
            return self.cw / 2, self.ch / 2
        st = self.motion.subject(index)
        dx = -cam.x * (motion.SUBJECT_DEPTH - cam.pivot)
        dy = cam.y * motion.SUBJECT_DEPTH
        x, y = st.x + dx, st.y + dy
        flip = self.motion.direction < 0
        base = self.subject.get(st.phase, 0.0, flip)
        if st.ground >= 0:
            self._shadow(
                x, st.ground + dy, base.width * (1 - min(0.5, (st.ground - st.y) / self.ch * 2))
            )
        if self.companion is not None:  # a step away, out of step, drawn first (further)
            self._draw_companion(st, x, y, dy, flip)
        img = self.baker.piece(self.subject.get(st.phase, st.angle, flip))
        cx, cy = x, y - base.height / 2  # rotate about the figure's centre
        iw, ih = img.size
        self.canvas.over(img, round(cx - iw / 2), round(cy - ih / 2))
        return x, cy

    def _draw_companion(
        self, st: motion.SubjectState, x: float, y: float, dy: float, flip: bool
    ) -> None:
        """The companion where ``_place_companion`` put it, half a cycle out of step, with
        its own shadow when it stands on the ground."""
        assert self.companion is not None
        phase = (st.phase + 0.5) % 1.0
        px, py = self._companion_at(x, y, dy)
        angle = 0.0 if self._on_ground else st.angle
        if not self._lift and (st.ground >= 0 or self._on_ground):
            ground = self.motion.ground + dy
            width = self.companion.get(phase, 0.0, flip).width
            self._shadow(px, ground, width * (1 - min(0.5, (ground - py) / self.ch * 2)))
        pose = self.baker.piece(self.companion.get(phase, angle, flip))
        pw, ph = pose.size
        self.canvas.over(pose, round(px - pw / 2), round(py - ph))

    def _shadow(self, x: float, g: float, width: float) -> None:
        """The subject's shadow: a soft pool under it by day; stretched away from a low sun
        at golden hour; long and hard in film noir."""
        s = self.scene
        rw, skew = width * 0.42, 0.0
        if s.lighting == "golden" or s.style == "noir":
            sun = s.composition.sky[0] * self.cw
            away = 1.0 if x >= sun else -1.0
            rw, skew = width * 0.42 * 2.2, away * width * 0.55
        colour = (4, 4, 6) if s.style == "noir" else _shadow(s)
        flat = rw * (0.12 if not skew else 0.08 if s.style == "noir" else 0.045)
        self.canvas.draw.ellipse((x + skew - rw, g - flat, x + skew + rw, g + flat), fill=colour)

    def _grid(self, cam: motion.CameraState, t: float) -> None:
        """Synthwave floor: perspective grid lines rolling towards the camera."""
        horizon = self.motion.horizon + cam.y * layers.BACK_DEPTH
        w, h = self.cw, self.ch
        colour = self.scene.palette.accent
        roll = t / motion.period(self.scene, 1 / 1.5)
        for k in range(14):
            z = (k + 1 - roll % 1.0) / 14
            y = horizon + (h - horizon) * z * z
            self.canvas.draw.line((0, y, w, y), fill=colour, width=max(1, h // 360))
        vx = w / 2 - cam.x * 0.3
        for k in range(-12, 13):
            self.canvas.draw.line(
                (vx + k * w * 0.02, horizon, vx + k * w * 0.16, h),
                fill=colour,
                width=max(1, h // 360),
            )

    def _draw_particles(self, cam: motion.CameraState, t: float) -> None:
        w, h = self.cw, self.ch
        p = self._particles
        kind = self.weather
        speed = {
            "rain": (0.15, 1.6),
            "snow": (0.04, 0.12),
            "petals": (0.08, 0.1),
            "wind": (0.9, 0.02),
            "bubbles": (0.0, -0.12),
        }
        vx, vy = speed.get(kind or "", (0.0, 0.1))
        depth = 0.6 + 0.8 * p[:, 2]
        sway = 2 * np.pi / motion.period(self.scene, 2 * np.pi / 1.3)
        xs = (p[:, 0] * w + _drift(self.scene, vx, depth) * w * t + cam.x * depth * -1.0) % w
        ys = (
            p[:, 1] * h
            + _drift(self.scene, vy, depth) * h * t
            + (np.sin(t * sway + p[:, 2] * 9) * 0.01 * h if kind != "rain" else 0)
        ) % h
        if kind == "rain":  # streaks, longer and brighter the nearer they fall
            length = max(3, h // 22)
            k = np.arange(length, dtype=np.float32)[None, :] * depth[:, None] * 0.8
            pts: NDArray[Any] = np.stack([xs[:, None] + k * 0.12, ys[:, None] + k], -1)
            pts = pts.reshape(-1, 2)
            colour = (226, 232, 244)
        else:
            size = max(1, h // 240) if kind != "bubbles" else max(1, h // 200)
            off = np.array([(i, j) for i in range(size + 1) for j in range(size + 1)], np.float32)
            pts = (np.stack([xs, ys], -1)[:, None, :] + off[None, :, :]).reshape(-1, 2)
            colour = {
                "snow": (248, 250, 255),
                "petals": (250, 170, 200),
                "wind": (200, 190, 150),
                "bubbles": (210, 240, 255),
            }[kind or "snow"]
        fill = palette.stylise(colour, self.scene.style)
        pixels = self.canvas.pixels
        if pixels is None:
            self.canvas.draw.point(pts.astype(np.int32).ravel().tolist(), fill=fill)
            return
        xi, yi = pts[:, 0].astype(np.intp), pts[:, 1].astype(np.intp)  # as draw.point does
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        pixels[yi[inside], xi[inside], :3] = fill  # one numpy store for every point

    def _crop(self, arr: U8, cam: motion.CameraState, fx: float, fy: float) -> U8:
        """The camera's view: zoom towards the subject, plus handheld shake, as a crop."""
        x0, y0, cw, ch = self._window(cam, fx, fy)
        if (cw, ch) == (self.cw, self.ch):
            return arr
        return arr[y0 : y0 + ch, x0 : x0 + cw]

    def _window(self, cam: motion.CameraState, fx: float, fy: float) -> tuple[int, int, int, int]:
        """The crop (x, y, width, height) of the canvas that frame shows."""
        w, h = self.cw, self.ch
        if cam.zoom <= 1.0 and not cam.shake_x and not cam.shake_y:
            return 0, 0, w, h
        cw, ch = min(w, round(w / cam.zoom)), min(h, round(h / cam.zoom))
        pull = 1.0 - 1.0 / cam.zoom
        cx = w / 2 + (fx - w / 2) * pull + cam.shake_x
        cy = h / 2 + (fy - h / 2) * pull * 0.5 + cam.shake_y
        x0 = int(min(max(0, round(cx - cw / 2)), w - cw))
        y0 = int(min(max(0, round(cy - ch / 2)), h - ch))
        return x0, y0, cw, ch

    def _ken_burns(self, index: int) -> U8:
        """Input image: a slow push-in (or drift) the camera phrase picks, from the exact image."""
        assert self.image is not None
        s = self.scene
        w, h = s.width, s.height
        u = motion.sweep(s, index)
        comp = s.composition
        zoom, fx, fy = 1.0 + 0.12 * u, comp.subject_x, 0.5
        if s.camera == "static":
            zoom = 1.0 + 0.02 * u
        elif s.camera in ("pan_left", "pan_right"):
            fx = 0.0 if s.camera == "pan_left" else 1.0
        elif s.camera in ("crane_up", "crane_down"):
            fy = 0.0 if s.camera == "crane_up" else 1.0
        elif s.camera == "dolly_in":
            zoom = 1.0 + 0.22 * u
        elif s.camera == "handheld":
            zoom = 1.0 + 0.05 * min(1.0, index / s.fps)
        cw, ch = round(w / zoom), round(h / zoom)
        x0 = round((w - cw) * fx)
        y0 = round((h - ch) * fy)
        if s.camera == "handheld" and index:
            cam = self.motion.camera(index)
            x0 = int(min(max(0, x0 + cam.shake_x), w - cw))
            y0 = int(min(max(0, y0 + cam.shake_y), h - ch))
        return self.image[y0 : y0 + ch, x0 : x0 + cw]

    def finish(self, frame: VideoFrame, index: int) -> None:
        """Screen-space style treatment, then captions, on the converted yuv420p frame."""
        s = self.scene
        y, u, v = captions_mod.planes(frame)
        fade = self.overlay.opacity(index)
        if fade >= 1.0 and self.image is None:
            self.screen.apply(y, u, v, index)
        if s.style == "noir" and fade > 0:
            if fade >= 1.0:
                u.fill(128)
                v.fill(128)
            else:
                for c in (u, v):
                    c[...] = (128 + (c.astype(np.int16) - 128) * (1 - fade)).astype(np.uint8)
        if s.style == "vintage" and self._vignette is not None and fade >= 1.0:
            y[...] = (y * self._vignette) >> 8
            y += self._grain[index % len(self._grain)]
        if s.style == "cinematic" and s.width > s.height * 1.5 and fade >= 1.0:
            bar = (s.height - round(s.width / 2.39)) // 2
            bar -= bar % 2
            if bar > 0:
                for plane, rows, value in ((y, bar, 16), (u, bar // 2, 128), (v, bar // 2, 128)):
                    plane[:rows].fill(value)
                    plane[plane.shape[0] - rows :].fill(value)
        self.overlay.apply(frame, index)


def _drift(scene: scene_mod.Scene, speed: float, depth: NDArray[np.float32]) -> NDArray[Any]:
    """Particles' speed (screens per second) at each depth.  In a loop each particle crosses
    the screen a whole number of times over the clip (at least once if it moves at all), so
    every one is back where it started."""
    if not scene.loop or not speed:
        return speed * depth
    laps = np.round(speed * depth * scene.seconds)
    laps = np.where(laps == 0, np.sign(speed), laps)
    return laps / scene.seconds


def _shadow(scene: scene_mod.Scene) -> tuple[int, int, int]:
    g = scene.palette.ground_near
    return (int(g[0] * 0.6), int(g[1] * 0.6), int(g[2] * 0.6))
