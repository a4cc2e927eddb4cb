"""Where the camera and the subject are at each frame: pure functions of the scene and time.

Positions are in canvas pixels.  The camera's ``x``/``y`` are measured at depth 1 (the near
layer); a layer at depth ``d`` moves ``d`` times as far, which is all parallax is.  Zoom and
handheld shake are applied afterwards as a crop of the composed canvas, so they cost nothing
per layer.

An extension's scene ``follows`` its source's: the camera starts from where the source's
ended and makes this scene's move from there, the subject carries on from where it stood at
the same pace (a travelling subject is followed, so it stays in frame), and everything
periodic (gait, bobbing, shake) runs on the whole timeline's clock, so nothing jumps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reelway.engines.animatic import figures
from reelway.engines.animatic import scene as scene_mod

SUBJECT_DEPTH = 0.8
TEMPO = {
    "walk": 100,
    "run": 150,
    "dance": 120,
    "fly": 92,
    "swim": 84,
    "drive": 128,
    "jump": 108,
    "spin": 116,
    "float": 72,
    "fall": 88,
    "climb": 96,
    "idle": 76,
    "sleep": 50,
}
"""Beats per minute per action: the soundtrack's pulse and the animation cycles share it."""

_SPEED = {"walk": 0.05, "run": 0.13, "drive": 0.17, "fly": 0.09, "swim": 0.06, "jump": 0.04}
"""Travel speed in canvas widths per second."""
_ROOTED = frozenset({"rooted", "sky"})
"""Modes that never travel (a building, a tree, the moon), whatever the action says."""


def ease(u: float) -> float:
    """Smoothstep: camera moves start and stop gently, as on a real dolly."""
    u = min(1.0, max(0.0, u))
    return u * u * (3 - 2 * u)


def period(scene: scene_mod.Scene, seconds: float) -> float:
    """A cycle's length: ``seconds``, or in a loop the nearest length a whole number of
    which fills the clip (so the cycle ends where the clip starts again)."""
    if not scene.loop:
        return seconds
    return scene.seconds / max(1, round(scene.seconds / seconds))


def sweep(scene: scene_mod.Scene, index: int) -> float:
    """How far through a one-way move (a pan, a push-in, a climb) frame ``index`` is, 0..1,
    eased.  In a loop the move goes out and comes back (0 at the first frame and again one
    frame after the last), so the last frame flows into the first."""
    if scene.loop:
        return 0.5 - 0.5 * math.cos(2 * math.pi * index / max(1, scene.frame_count))
    return ease(index / max(1, scene.frame_count - 1))


@dataclass(frozen=True)
class CameraState:
    x: float
    y: float
    zoom: float
    shake_x: float
    shake_y: float
    pivot: float
    """Depth that does not move (the subject's, for an orbit; 0 otherwise)."""


@dataclass(frozen=True)
class SubjectState:
    x: float
    """Centre, in canvas pixels, before parallax."""
    y: float
    """Bottom (feet, wheels, hull), in canvas pixels."""
    angle: float
    phase: float
    """Position in the animation cycle, 0..1."""
    ground: float
    """Where the shadow falls, or -1 for none."""


class Motion:
    """Camera and subject paths for one scene on a canvas of ``width`` x ``height``."""

    def __init__(self, scene: scene_mod.Scene, width: int, height: int) -> None:
        self.scene = scene
        self.w, self.h = width, height
        c = scene.composition
        self.horizon = c.horizon * height
        if scene.setting in ("space", "sky"):
            self.horizon = height * (1.08 if scene.setting == "space" else 0.9)
        self.ground = self.horizon + (height - self.horizon) * 0.45
        self.beat = period(scene, 4 * 60.0 / TEMPO[scene.action]) / 4
        """Seconds per beat; in a loop, four beats (the longest cycle) divide the clip."""
        self.direction = c.direction
        self.start = scene.start_frame
        self.before: Motion | None = None
        """The source's motion, for an extension."""
        if scene.follows is not None:
            self.before = Motion(scene.follows, width, height)
        kind = scene.subject_kind
        self.mode = figures.spec(kind).mode if kind else "ground"
        speed = 0.0 if self.mode in _ROOTED else _SPEED.get(scene.action, 0.0) * width
        travel_room = (0.86 - c.subject_x if c.direction > 0 else c.subject_x - 0.14) * width
        if self.before is not None:  # carry on at the source's pace; the camera follows
            if self.before.scene.action == scene.action:
                speed = float(self.before.speed)
        elif scene.camera != "tracking" and speed * scene.seconds > travel_room:
            speed = travel_room / scene.seconds  # stay in frame when the camera does not follow
        if scene.loop:
            speed = 0.0  # a loop travels on the spot: it must end where it began
        self.speed: float = speed
        self._end: tuple[CameraState, float] | None = None
        mode = self.mode
        flying = scene.action in ("fly", "float") and mode not in ("water", "surface", "rooted")
        self.airborne = flying or mode in ("air", "hover", "sky")
        if mode == "sky":  # high in the sky, clear of the horizon
            self.base_y = height * (0.2 + 0.5 * c.subject_y)
        elif scene.setting == "underwater":
            self.base_y = height * (0.3 + c.subject_y)
        elif mode == "water" and scene.setting in ("ocean", "beach"):  # at the surface
            self.base_y = self.horizon + (height - self.horizon) * 0.5
        elif mode == "water":
            self.base_y = height * (0.3 + c.subject_y)
        elif self.airborne or scene.setting in ("space", "sky"):
            self.base_y = height * (c.subject_y + 0.2)
        elif mode == "surface":
            self.base_y = self.horizon + (height - self.horizon) * 0.3
        else:
            self.base_y = self.ground

    # ------------------------------------------------------------------ camera

    def _source_end(self) -> tuple[CameraState, float]:
        """Where the source's camera and subject would be one frame after its last (where
        this scene's frame 0 starts): eased moves have stopped, steady ones go on a step."""
        if self._end is None:
            assert self.before is not None
            after = self.before.scene.frame_count
            self._end = (self.before.camera(after), self.before.distance(after))
        return self._end

    def distance(self, index: int) -> float:
        """Signed distance the subject has travelled by frame ``index`` (of this scene)."""
        travelled = self._travel(index / self.scene.fps)
        if self.before is None:
            return travelled
        return self._source_end()[1] + travelled

    def camera(self, index: int) -> CameraState:
        """Where the camera is at frame ``index`` of this scene."""
        if self.before is None:
            return self._move(index)
        end, _ = self._source_end()
        own, zero = self._move(index), self._move(0)
        x = end.x + own.x - zero.x
        if self.speed and self.scene.camera != "tracking":
            x += self._travel(index / self.scene.fps) / SUBJECT_DEPTH
        return CameraState(
            x,
            end.y + own.y - zero.y,
            max(1.0, end.zoom * own.zoom / zero.zoom),
            own.shake_x,
            own.shake_y,
            own.pivot,
        )

    def _move(self, index: int) -> CameraState:
        """This scene's own camera move; shake runs on the whole timeline's clock."""
        s, c = self.scene, self.scene.composition
        t = index / s.fps
        clock = (self.start + index) / s.fps
        u = index / max(1, s.frame_count - 1)
        e = sweep(s, index)
        amount = c.camera_amount
        x = y = shake_x = shake_y = pivot = 0.0
        zoom = 1.0
        pan_speed = 0.08 * self.w * amount
        if s.camera == "drift":
            x = 0.05 * self.w * c.direction * (e - 0.5) * amount
            zoom = 1.0 + 0.04 * e
        elif s.camera in ("pan_left", "pan_right"):
            sign = -1 if s.camera == "pan_left" else 1
            x = sign * pan_speed * s.seconds * e
        elif s.camera == "tracking" and s.loop:
            x = c.direction * pan_speed * s.seconds * 0.5 * e
        elif s.camera == "tracking":
            x = self._travel(t) / SUBJECT_DEPTH if self.speed else c.direction * pan_speed * t
        elif s.camera == "dolly_in":
            zoom = 1.0 + 0.3 * amount * e
        elif s.camera == "dolly_out":
            zoom = 1.0 + 0.3 * amount * (1 - e)
        elif s.camera == "orbit":
            turn = 2 * math.pi * index / s.frame_count if s.loop else math.pi * u * amount
            x = 0.5 * self.w * math.sin(turn + c.camera_phase)
            zoom = 1.08 + 0.04 * math.sin(2 * math.pi * (index / s.frame_count if s.loop else u))
            pivot = SUBJECT_DEPTH
        elif s.camera in ("crane_up", "crane_down"):
            rise = e if s.camera == "crane_up" else 1 - e
            y = 0.2 * self.h * rise
            zoom = 1.03
        elif s.camera == "handheld":
            zoom = 1.06
            p = c.shake
            amp = 0.006 * self.w
            rates = (4.1, 9.7, 5.3, 11.3)  # radians per second; a loop's divide the clip
            w1, w2, w3, w4 = (2 * math.pi / period(s, 2 * math.pi / r) for r in rates)
            shake_x = amp * (math.sin(w1 * clock + p[0]) + 0.6 * math.sin(w2 * clock + p[1]))
            shake_y = amp * (math.sin(w3 * clock + p[2]) + 0.5 * math.sin(w4 * clock + p[3]))
        return CameraState(x, y, zoom, shake_x, shake_y, pivot)

    def extents(self) -> tuple[float, float, float, float]:
        """The smallest and largest camera x and y over the clip, to size the layers."""
        states = [self.camera(i) for i in range(self.scene.frame_count)]
        xs = [st.x for st in states]
        ys = [st.y for st in states]
        return min(xs), max(xs), min(ys), max(ys)

    # ------------------------------------------------------------------ subject

    def _travel(self, t: float) -> float:
        return self.direction * self.speed * t

    def subject(self, index: int) -> SubjectState:
        s, c = self.scene, self.scene.composition
        if s.style == "claymation":  # stop motion: the puppet moves on twos
            index -= index % 2
        t = (self.start + index) / s.fps  # the whole timeline's clock
        u = sweep(s, index) if s.loop else index / max(1, s.frame_count - 1)
        if self.before is not None and (action_kept := self.before.scene.action == s.action):
            u = 1.0  # a climb or fall the source already finished stays finished
        if self.before is not None and not action_kept and s.action == "fall":
            u = 1.0  # a fall from the top would jump: the subject is already down
        beats = t / self.beat
        x = c.subject_x * self.w + self.distance(index)
        y = self.base_y
        angle = 0.0
        h = self.h
        phase = (beats / 2) % 1.0  # one animation cycle = two beats (two steps)
        action = s.action
        if self.mode in _ROOTED and action != "spin":
            action = "idle"  # a lighthouse does not bob; its drawing animates (the beam)
        if action == "walk":
            y -= abs(math.sin(math.pi * beats)) * 0.012 * h
        elif action == "run":
            y -= abs(math.sin(math.pi * beats)) * 0.03 * h
        elif action == "jump":
            p = (beats / 2) % 1.0
            hop = max(0.0, math.sin(math.pi * min(1.0, p / 0.75)))
            y -= hop * 0.2 * h
        elif action == "fly":
            y += 0.05 * h * math.sin(2 * math.pi * t / period(s, 3.2))
            angle = -8 * math.cos(2 * math.pi * t / period(s, 3.2)) * self.direction
        elif action == "float":
            y += 0.03 * h * math.sin(2 * math.pi * t / period(s, 4.0))
            angle = 6 * math.sin(2 * math.pi * t / period(s, 5.0))
        elif action == "swim":
            y += 0.025 * h * math.sin(2 * math.pi * t / period(s, 2.6))
        elif action == "spin":
            angle = -self.direction * 360 * t / period(s, 1 / 0.45)
        elif action == "dance":
            x += 0.03 * self.w * math.sin(math.pi * beats / 2)
            y -= abs(math.sin(math.pi * beats)) * 0.035 * h
            angle = 8 * math.sin(math.pi * beats / 2)
        elif action == "fall":
            y = -0.05 * h + (self.ground + 0.05 * h) * (u**1.6)
            x += 0.05 * self.w * math.sin(2 * math.pi * t / period(s, 2.2))
            angle = 24 * math.sin(2 * math.pi * t / period(s, 2.2))
        elif action == "climb":
            y = self.base_y - (self.base_y - 0.35 * h) * ease(u)
        elif action == "drive":
            y -= (index % 2) * 0.002 * h
            phase = abs(self.distance(index)) / (0.12 * h)  # wheels turn with the distance
            if s.loop:  # on the spot: the wheels turn with the beat
                phase = beats / 2
        on_ground = not self.airborne and s.setting not in ("space", "sky", "underwater")
        return SubjectState(x, y, angle, phase % 1.0, self.ground if on_ground else -1.0)
