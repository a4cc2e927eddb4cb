"""The soundtrack: a chord pad, a setting ambience and a pulse, synthesised with numpy.

Mood picks the mode (major for happy and calm, minor for tense and dark), the setting picks
the ambience (surf, wind, birds, city hum, a space drone...), the action picks the tempo the
picture animates to.  Everything is vectorised: an eight-second clip costs tens of
milliseconds.  Seeded from the seed and the prompt, so the same request sounds the same.

Everything periodic (chords, beats, swells) is a function of the whole timeline's clock, so
an extension's soundtrack continues the source's: same key, same chord cycle, beats on the
same grid, the same level, and no fade-in at the join.  The fade-out at the end is short,
so the dip a later extension's join inherits from it is too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from reelway.engines.animatic import motion, seeding
from reelway.engines.animatic import scene as scene_mod
from reelway.media import encode

F32 = NDArray[np.float32]
RATE = encode.AUDIO_RATE
PEAK = 0.89
"""-1 dBFS: headroom for the AAC encoder's overshoot."""
FADE_SECONDS = 0.3
"""Fade-in at the start of the timeline."""
FADE_OUT_SECONDS = 0.05
"""Fade-out at the end: enough to end without a click."""
_LEAD = 1024
"""Samples synthesised before an extension's first and dropped: the filters' warm-up."""
_MAJOR = ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))  # I vi IV V
_MINOR = ((0, 3, 7), (8, 12, 15), (3, 7, 10), (10, 14, 17))  # i VI III VII
_AMBIENCE = {
    "beach": "surf",
    "ocean": "surf",
    "forest": "birds",
    "field": "birds",
    "city": "city",
    "desert": "wind",
    "mountain": "wind",
    "sky": "wind",
    "space": "drone",
    "interior": "room",
    "underwater": "deep",
}


def _hz(midi: float) -> float:
    return float(440.0 * 2.0 ** ((midi - 69) / 12))


def _lowpass(x: F32, width: int) -> F32:
    """Moving average via a cumulative sum: a cheap low-pass at about rate / width."""
    c = np.cumsum(np.concatenate([np.zeros(width, np.float32), x]), dtype=np.float64)
    return np.asarray((c[width:] - c[:-width]) / width, dtype=np.float32)


def _pad(t: F32, root: int, minor: bool, chord_seconds: float, start: int = 0) -> F32:
    """Soft detuned triads, one chord per segment, crossfaded; ``start`` is the global
    sample index of ``t[0]`` (chords fall on the whole timeline's grid)."""
    n = t.shape[0]
    out = np.zeros(n, np.float32)
    chords = _MINOR if minor else _MAJOR
    seg = int(chord_seconds * RATE)
    xf = int(0.5 * RATE)
    for k in range(max(0, (start - xf) // seg), (start + n) // seg + 1):
        g_lo, g_hi = max(0, k * seg - xf), (k + 1) * seg + xf
        lo, hi = max(0, g_lo - start), min(n, g_hi - start)
        if lo >= hi:
            continue
        tt = t[lo:hi]
        idx = np.arange(lo + start, hi + start, dtype=np.float32)
        rise = (idx - g_lo) / (2 * xf) if g_lo > 0 else np.ones(hi - lo, np.float32)
        fall = (g_hi - idx) / (2 * xf) if hi < n else np.ones(hi - lo, np.float32)
        env = np.clip(np.minimum(rise, fall), 0.0, 1.0)
        voice = np.zeros(hi - lo, np.float32)
        for interval in chords[k % len(chords)]:
            f = _hz(root + 12 + interval)
            voice += np.sin(2 * np.pi * f * tt) + 0.5 * np.sin(2 * np.pi * f * 1.004 * tt + 1.0)
        out[lo:hi] += voice * env
    return out / 4.5


def _pulse(
    n: int, bpm: int, minor: bool, busy: bool, r: np.random.Generator, start: int = 0
) -> F32:
    """A soft kick on every beat and, for busy actions, a tick between, on the whole
    timeline's beat grid (``start``: the global index of the first sample)."""
    out = np.zeros(n, np.float32)
    k_len = int(0.28 * RATE)
    kt = np.arange(k_len, dtype=np.float32) / RATE
    kick = np.sin(2 * np.pi * (55 * kt + 40 * (1 - np.exp(-kt * 30)) / 30)) * np.exp(-kt * 14)
    tick = r.standard_normal(int(0.04 * RATE)).astype(np.float32)
    tick = (tick - _lowpass(tick, 6)) * np.exp(-np.arange(tick.size, dtype=np.float32) / 300)
    beat = 60.0 / bpm
    first = max(0, int((start - k_len) / RATE / beat) - 1)  # a kick ringing into the segment
    for i in range(first, int((start + n) / RATE / beat) + 1):
        at = int(i * beat * RATE) - start
        for pattern, gain, offset in ((kick, 0.9, 0.0), (tick, 0.25 if busy else 0.0, 0.5)):
            s = at + int(offset * beat * RATE)
            if gain and s < n and s + pattern.size > 0:
                lo, e = max(0, s), min(n, s + pattern.size)
                out[lo:e] += gain * pattern[lo - s : e - s]
    return out


def _ambience(
    kind: str,
    weather: str | None,
    t: F32,
    root: int,
    r: np.random.Generator,
    phase: float,
) -> F32:
    """The setting's bed; ``phase`` (from the timeline, not the segment) places the swells."""
    n = t.shape[0]
    noise = r.standard_normal(size=(n,), dtype=np.float32)
    out = np.zeros(n, np.float32)
    if kind == "surf":  # waves: low-passed noise swelling every several seconds
        swell = (0.5 + 0.5 * np.sin(2 * np.pi * t / 6.5 + phase)) ** 2
        out += _lowpass(noise, 20) * swell * 2.2
    elif kind == "wind":
        band = _lowpass(noise, 12) - _lowpass(noise, 90)
        out += band * (0.6 + 0.4 * np.sin(2 * np.pi * t / 9 + phase)) * 2.0
    elif kind == "city":  # mains hum and distant traffic
        out += 0.08 * np.sin(2 * np.pi * 60 * t) + 0.05 * np.sin(2 * np.pi * 120 * t)
        out += _lowpass(noise, 60) * (0.7 + 0.3 * np.sin(2 * np.pi * t / 11)) * 2.5
    elif kind == "drone":
        f = _hz(root - 12)
        out += 0.3 * np.sin(2 * np.pi * f * t) * (0.7 + 0.3 * np.sin(2 * np.pi * t / 7))
        out += 0.2 * np.sin(2 * np.pi * f * 1.5 * t + 0.5) + 0.15 * np.sin(
            2 * np.pi * f * 2.003 * t
        )
    elif kind == "deep":
        out += _lowpass(noise, 160) * 6.0
    elif kind == "room":
        out += _lowpass(noise, 100) * 2.0
    if kind == "birds" or kind == "deep":  # chirps, or bubbles rising
        out += _lowpass(noise, 40) * 1.2
        for _ in range(int(n / RATE * (0.8 if kind == "birds" else 0.5))):
            start, length = int(r.uniform(0, n)), int(r.uniform(0.06, 0.16) * RATE)
            e = min(n, start + length)
            ct = np.arange(e - start, dtype=np.float32) / RATE
            f0 = r.uniform(2400, 3800) if kind == "birds" else r.uniform(250, 500)
            sweep = f0 * (1 + (2.0 if kind == "deep" else 0.4) * ct / (length / RATE))
            out[start:e] += (
                0.12
                * np.sin(2 * np.pi * np.cumsum(sweep) / RATE)
                * np.sin(np.pi * ct / (length / RATE))
            )
    if weather == "rain":
        out += (noise - _lowpass(noise, 4)) * 0.35
    elif weather == "wind":
        out += (_lowpass(noise, 10) - _lowpass(noise, 70)) * 2.0
    return out


def soundtrack(scene: scene_mod.Scene) -> F32:
    """A (2, seconds * 48000) float32 stereo soundtrack for ``scene``, peaking at -1 dBFS.

    For an extension, the continuation of the source's: at the source's level (its peak
    sets the gain, limited so the new part never clips) and with no fade-in.
    """
    n = scene.seconds * RATE
    start = scene.start_frame * RATE // scene.fps
    if scene.follows is None:
        mix = _raw(scene, 0, n)
        gain = PEAK / (float(np.max(np.abs(mix))) or 1.0)
    else:
        mix = _raw(scene, start - _LEAD, n + _LEAD)[:, _LEAD:]
        source_peak = float(np.max(np.abs(_raw(scene.follows, 0, start)))) or 1.0
        gain = min(PEAK / source_peak, PEAK / (float(np.max(np.abs(mix))) or 1.0))
    mix *= gain
    if start == 0:
        fade = min(n // 2, int(FADE_SECONDS * RATE))
        if fade:
            mix[:, :fade] *= np.linspace(0.0, 1.0, fade, dtype=np.float32)
    fade = min(n // 2, int(FADE_OUT_SECONDS * RATE))
    if fade:
        mix[:, n - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return mix


def _raw(scene: scene_mod.Scene, start: int, n: int) -> F32:
    """Samples ``start`` .. ``start + n`` of the timeline's mix, before gain and fades."""
    key = scene.audio_key
    r = seeding.rng(scene.seed, "audio", key)
    root = 45 + int(r.integers(0, 8))
    phase = float(r.uniform(0, 6))
    noise = seeding.rng(scene.seed, "audio-noise", key, start)
    t = np.arange(start, start + n, dtype=np.float64).astype(np.float32)
    t /= RATE
    minor = scene.mood in ("tense", "dark")
    bpm = motion.TEMPO[scene.action]
    busy = scene.action in ("run", "dance", "drive", "jump")
    pad = _pad(t, root, minor, chord_seconds=8 * 60 / bpm, start=start)
    pulse = _pulse(n, bpm, minor, busy, noise, start=start)
    amb = _ambience(_AMBIENCE.get(scene.setting, "room"), scene.weather, t, root, noise, phase)
    pulse_gain = {"tense": 0.5, "happy": 0.4, "calm": 0.22, "dark": 0.3}.get(scene.mood, 0.3)
    left = 0.5 * pad + pulse_gain * pulse + 0.35 * amb
    haas = int(0.012 * RATE)  # the ambience, delayed, on the right: cheap width
    amb_r = np.concatenate([amb[haas:], amb[:haas]])
    right = 0.5 * pad + pulse_gain * pulse + 0.35 * amb_r
    return np.stack([left, right]).astype(np.float32)
