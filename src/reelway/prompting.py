"""Read a video prompt as the five elements a shot needs: subject, action, setting,
camera/lighting and style.

Good video prompts name all five; the animatic engine draws them and a prompt linter can point
at the missing ones.  This module is a leaf (standard library only) so both can share it.  The
keyword tables are plain data at the top; matching is case-insensitive, on word boundaries, and
accepts the common inflections of each word (plurals, -ing, -ed) without a stemmer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

ELEMENTS = ("subject", "action", "setting", "camera_lighting", "style")
"""The five elements of a shot, in the order a prompt usually names them."""

SUBJECTS: Mapping[str, tuple[str, ...]] = {
    "person": (
        "person", "people", "man", "men", "woman", "women", "girl", "boy", "child", "children",
        "kid", "baby", "dancer", "astronaut", "knight", "chef", "surfer", "skateboarder",
        "skater", "cowboy", "soldier", "detective", "wizard", "witch", "ninja", "samurai",
        "runner", "hiker", "climber", "couple", "family", "crowd", "musician", "guitarist",
        "singer", "pilot", "diver", "scientist", "student", "grandmother", "grandfather",
        "ballerina", "monk", "king", "queen", "princess", "prince", "warrior", "explorer",
        "traveler", "traveller", "fisherman", "farmer", "athlete", "boxer", "cyclist",
        "swimmer", "photographer", "painter", "teenager", "character", "hero", "stranger",
    ),
    "robot": ("robot", "android", "cyborg", "mech", "droid", "automaton"),
    "animal": (
        "cat", "kitten", "dog", "puppy", "fox", "wolf", "wolves", "horse", "pony", "deer",
        "bear", "rabbit", "bunny", "lion", "tiger", "elephant", "cow", "sheep", "goat", "pig",
        "giraffe", "zebra", "panda", "raccoon", "squirrel", "mouse", "mice", "dinosaur",
        "t-rex", "unicorn", "cheetah", "leopard", "camel", "llama", "koala", "otter",
        "hedgehog", "monkey", "corgi", "retriever",
    ),
    "bird": (
        "bird", "eagle", "hawk", "owl", "crow", "raven", "seagull", "gull", "parrot",
        "hummingbird", "swan", "duck", "pigeon", "sparrow", "flamingo", "butterfly",
        "butterflies", "bee", "dragonfly", "dragon", "phoenix", "moth",
    ),
    "fish": (
        "fish", "whale", "dolphin", "shark", "jellyfish", "turtle", "octopus", "squid",
        "manta ray", "stingray", "seahorse", "goldfish", "koi", "orca", "seal",
    ),
    "vehicle": (
        "car", "truck", "bus", "taxi", "van", "jeep", "motorcycle", "motorbike", "scooter",
        "bicycle", "bike", "tram", "tractor", "race car", "sports car", "train", "locomotive",
    ),
    "boat": (
        "boat", "ship", "sailboat", "yacht", "canoe", "kayak", "ferry", "submarine", "raft",
        "gondola", "pirate ship",
    ),
    "aircraft": (
        "plane", "airplane", "aeroplane", "jet", "spaceship", "spacecraft", "rocket", "ufo",
        "helicopter", "glider", "starship", "satellite", "airship", "zeppelin",
    ),
    "balloon": ("balloon", "hot air balloon", "kite", "lantern", "paper lantern"),
    "object": (
        "ball", "teapot", "cup", "mug", "cube", "book", "flower", "leaf", "leaves", "feather",
        "apple", "orb", "sphere", "crystal", "bottle", "umbrella", "clock", "lamp", "chair",
        "guitar", "toy", "statue", "coin", "paper airplane",
    ),
}  # fmt: skip

ACTIONS: Mapping[str, tuple[str, ...]] = {
    "walk": ("walk", "stroll", "wander", "hike", "march", "stride", "trek", "amble"),
    "run": ("run", "ran", "sprint", "jog", "race", "gallop", "dash", "chase", "flee", "rush"),
    "fly": ("fly", "flew", "flown", "soar", "glide", "flutter", "flap", "swoop"),
    "jump": ("jump", "leap", "leapt", "hop", "bounce", "vault", "skip"),
    "spin": ("spin", "spun", "twirl", "rotate", "whirl", "pirouette", "revolve", "tumble"),
    "dance": ("dance", "groove", "sway", "waltz", "tango", "boogie"),
    "swim": ("swim", "swam", "swum", "dive", "dove", "paddle", "snorkel"),
    "drive": ("drive", "drove", "driven", "ride", "rode", "ridden", "cruise", "sail", "steer"),
    "float": ("float", "drift", "hover", "levitate", "bob"),
    "fall": ("fall", "fell", "fallen", "drop", "plummet", "descend", "sink", "sank"),
    "climb": ("climb", "ascend", "rise", "rose", "risen", "lift off", "launch", "take off"),
    "idle": (
        "sit", "sat", "stand", "stood", "rest", "sleep", "wait", "watch", "gaze", "stare",
        "look", "read", "lie", "lying", "pose", "meditate", "smile", "laugh", "think",
    ),
}  # fmt: skip

SETTINGS: Mapping[str, tuple[str, ...]] = {
    "underwater": (
        "underwater", "under water", "under the sea", "coral reef", "reef", "seabed",
        "sea floor", "ocean floor", "deep sea", "aquarium", "kelp forest",
    ),
    "space": (
        "outer space", "space", "galaxy", "nebula", "cosmos", "planet", "asteroid",
        "starfield", "space station", "moon surface", "mars",
    ),
    "beach": (
        "beach", "shore", "shoreline", "coast", "coastline", "seaside", "tropical island",
        "island", "sand",
    ),
    "ocean": ("ocean", "sea", "open water", "lake", "river", "harbor", "harbour", "bay", "pier"),
    "forest": ("forest", "woods", "woodland", "jungle", "rainforest", "grove", "trees"),
    "city": (
        "city", "street", "downtown", "alley", "alleyway", "skyline", "rooftop", "metropolis",
        "town", "avenue", "neighborhood", "crosswalk", "highway", "road", "new york", "tokyo",
        "paris",
    ),
    "desert": ("desert", "dune", "sand dunes", "canyon", "mesa", "sahara", "badlands"),
    "mountain": (
        "mountain", "peak", "summit", "glacier", "alps", "cliff", "ridge", "valley",
        "snowfield", "tundra", "arctic", "antarctic", "ski slope",
    ),
    "interior": (
        "room", "kitchen", "bedroom", "living room", "office", "cafe", "café", "coffee shop",
        "library", "interior", "indoors", "hallway", "corridor", "bar", "restaurant",
        "classroom", "apartment", "house", "museum", "workshop", "warehouse", "diner", "attic",
        "studio",
    ),
    "field": (
        "field", "meadow", "grassland", "prairie", "farm", "farmland", "countryside",
        "garden", "park", "hills", "hillside", "pasture", "savanna", "orchard", "vineyard",
    ),
    "sky": ("sky", "skies", "clouds", "above the clouds", "mid-air", "stratosphere"),
}  # fmt: skip

CAMERAS: Mapping[str, tuple[str, ...]] = {
    "pan_left": ("pan left", "pan to the left", "whip pan left", "truck left"),
    "pan_right": ("pan right", "pan to the right", "whip pan right", "truck right"),
    "pan": ("pan", "panning shot", "sweeping shot", "panorama"),
    "dolly_in": (
        "dolly in", "push in", "push-in", "zoom in", "slow zoom", "dolly forward", "move in",
        "zoom", "closer and closer",
    ),
    "dolly_out": ("dolly out", "pull back", "pull out", "zoom out", "dolly back", "pulls away"),
    "tracking": (
        "tracking shot", "tracking", "track", "follow", "following shot", "side-scrolling",
        "steadicam", "dolly shot", "dolly",
    ),
    "orbit": ("orbit", "arc shot", "circle around", "360", "orbital shot", "revolving camera"),
    "crane_up": (
        "crane up", "crane shot", "tilt up", "boom up", "jib up", "pedestal up",
        "camera rises", "rising shot", "aerial", "drone shot", "drone",
    ),
    "crane_down": (
        "crane down", "tilt down", "boom down", "jib down", "pedestal down",
        "camera descends", "descending shot",
    ),
    "handheld": ("handheld", "hand-held", "shaky cam", "shaky camera", "found footage", "vlog"),
    "static": (
        "static shot", "static camera", "locked off", "locked-off", "still camera", "tripod",
        "fixed camera", "stationary camera",
    ),
}  # fmt: skip

SHOTS: Mapping[str, tuple[str, ...]] = {
    "close": ("close-up", "closeup", "extreme close-up", "macro", "close shot", "portrait"),
    "medium": ("medium shot", "mid shot", "medium close-up", "waist-up", "two shot"),
    "wide": (
        "wide shot", "wide-angle", "wide angle", "establishing shot", "long shot",
        "extreme wide shot", "panoramic", "landscape shot",
    ),
}  # fmt: skip

LIGHTING: Mapping[str, tuple[str, ...]] = {
    "golden": (
        "golden hour", "sunset", "sunrise", "dusk", "dawn", "magic hour", "twilight",
        "evening", "late afternoon", "warm light",
    ),
    "night": (
        "night", "nighttime", "midnight", "moonlight", "moonlit", "starry", "starlit",
        "after dark", "darkness",
    ),
    "neon": ("neon", "neon-lit", "neon lights", "fluorescent", "glowing signs"),
    "overcast": (
        "overcast", "cloudy", "foggy", "misty", "gloomy", "grey sky", "gray sky", "stormy",
        "hazy", "rainy", "drizzle",
    ),
    "candle": (
        "candlelight", "candle-lit", "candlelit", "candle", "firelight", "fireplace",
        "campfire", "lantern light", "torchlight", "lamplight",
    ),
    "day": (
        "daylight", "daytime", "sunny", "sunlit", "midday", "noon", "bright sun", "morning",
        "afternoon", "blue sky", "sunshine", "clear sky", "day",
    ),
}  # fmt: skip

WEATHER: Mapping[str, tuple[str, ...]] = {
    "rain": ("rain", "rainy", "downpour", "drizzle", "storm", "thunderstorm", "monsoon"),
    "snow": ("snow", "snowy", "snowfall", "blizzard", "snowflake", "frost", "frozen"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy"),
    "wind": ("wind", "windy", "breeze", "gust", "sandstorm"),
    "petals": ("petals", "cherry blossom", "falling leaves", "autumn leaves", "confetti"),
}

STYLES: Mapping[str, tuple[str, ...]] = {
    "noir": (
        "film noir", "noir", "black and white", "black-and-white", "b&w", "monochrome",
        "grayscale", "greyscale",
    ),
    "pixel": (
        "pixel art", "pixel-art", "pixelated", "8-bit", "16-bit", "8bit", "retro game",
        "retro video game", "sprite art",
    ),
    "synthwave": ("synthwave", "retrowave", "vaporwave", "outrun", "cyberpunk", "80s retro"),
    "watercolor": (
        "watercolor", "watercolour", "gouache", "ink wash", "pastel", "painterly",
        "oil painting", "impressionist", "storybook illustration",
    ),
    "anime": (
        "anime", "manga", "cel-shaded", "cel shaded", "cartoon", "studio ghibli", "ghibli",
        "comic book", "2d animation",
    ),
    "claymation": (
        "claymation", "clay", "plasticine", "stop-motion", "stop motion", "clay animation",
        "felt", "puppet",
    ),
    "vintage": (
        "vintage", "super 8", "super-8", "8mm", "16mm", "sepia", "old film", "home movie",
        "archival", "retro film", "1970s", "70s", "film grain", "grainy", "kodachrome",
    ),
    "cinematic": (
        "cinematic", "photoreal", "photorealistic", "photo-realistic", "realistic",
        "hyperrealistic", "film still", "35mm", "anamorphic", "imax", "hdr", "4k", "8k",
        "documentary", "live action", "live-action", "blockbuster",
    ),
}  # fmt: skip

MOODS: Mapping[str, tuple[str, ...]] = {
    "happy": (
        "happy", "joyful", "joy", "cheerful", "playful", "whimsical", "fun", "funny", "upbeat",
        "celebration", "celebrate", "delighted", "excited", "festive", "laugh", "smile",
    ),
    "calm": (
        "calm", "peaceful", "serene", "tranquil", "gentle", "relaxing", "relaxed", "quiet",
        "dreamy", "soothing", "meditative", "cozy", "cosy", "lazy", "slow",
    ),
    "tense": (
        "tense", "suspense", "suspenseful", "ominous", "urgent", "frantic", "chase",
        "dramatic", "thriller", "danger", "dangerous", "intense", "epic", "action-packed",
    ),
    "dark": (
        "dark", "gloomy", "eerie", "creepy", "haunted", "sinister", "melancholy",
        "melancholic", "sad", "lonely", "somber", "sombre", "mysterious", "horror", "spooky",
        "desolate", "abandoned",
    ),
}  # fmt: skip

COLOURS: Mapping[str, tuple[int, int, int]] = {
    "red": (214, 48, 49), "crimson": (176, 24, 48), "scarlet": (230, 36, 30),
    "orange": (236, 128, 36), "yellow": (246, 204, 40), "golden": (218, 172, 56),
    "gold": (218, 172, 56), "green": (52, 164, 72), "emerald": (24, 150, 100),
    "teal": (0, 128, 128), "turquoise": (48, 200, 190), "cyan": (0, 200, 224),
    "blue": (44, 100, 236), "navy": (24, 40, 110), "purple": (138, 66, 176),
    "violet": (146, 60, 236), "magenta": (220, 30, 160), "pink": (246, 120, 180),
    "white": (238, 238, 232), "silver": (192, 196, 204), "gray": (128, 128, 132),
    "grey": (128, 128, 132), "black": (30, 30, 34), "brown": (124, 86, 60),
    "beige": (222, 200, 160),
}  # fmt: skip

COLOURS_TABLE: Mapping[str, tuple[str, ...]] = {name: (name,) for name in COLOURS}
_CONTENT_TABLES = (ACTIONS, SETTINGS, CAMERAS, SHOTS, LIGHTING, STYLES, MOODS, WEATHER)
_NOUN_VERB_TABLES = (SUBJECTS, ACTIONS, SETTINGS, CAMERAS, SHOTS, STYLES)

_STOP = frozenset(
    (
        "a", "an", "the", "of", "in", "on", "at", "with", "and", "or", "but", "through", "across",
        "over", "under", "by", "to", "from", "into", "onto", "his", "her", "their", "its", "this",
        "that", "these", "those", "is", "are", "was", "were", "while", "as", "who", "which", "near",
        "along", "around", "behind", "beside", "between", "above", "below", "during", "for",
    )
)  # fmt: skip


@dataclass(frozen=True)
class PromptAnalysis:
    """What a prompt says about each element: the phrase it used (or None) and its class."""

    prompt: str
    subject: str | None
    action: str | None
    setting: str | None
    camera: str | None
    shot: str | None
    lighting: str | None
    style: str | None
    subject_kind: str | None
    action_kind: str | None
    setting_kind: str | None
    camera_kind: str | None
    shot_kind: str | None
    lighting_kind: str | None
    weather: str | None
    style_kind: str | None
    mood: str | None
    colours: tuple[str, ...]
    subject_colour: str | None

    @property
    def camera_lighting(self) -> str | None:
        """The fourth element: camera move, framing and light, as the prompt put them."""
        parts = [p for p in (self.camera, self.shot, self.lighting) if p]
        return ", ".join(parts) if parts else None

    @property
    def elements(self) -> dict[str, str | None]:
        """The five elements by name (see ``ELEMENTS``)."""
        return {
            "subject": self.subject,
            "action": self.action,
            "setting": self.setting,
            "camera_lighting": self.camera_lighting,
            "style": self.style,
        }

    @property
    def missing(self) -> tuple[str, ...]:
        """Elements the prompt does not name, for a linter to ask about."""
        return tuple(name for name, phrase in self.elements.items() if phrase is None)


@dataclass(frozen=True)
class Match:
    """One keyword found in a prompt."""

    kind: str
    text: str
    start: int
    end: int


def _inflect(word: str) -> str:
    """A regex for a word and its cheap inflections: fox/foxes, city/cities, run/running."""
    if len(word) < 3 or not word.isalpha():
        return re.escape(word)
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|ing)"
    if word.endswith("y") and word[-2] not in "aeiou":
        return re.escape(word[:-1]) + "(?:y|ies|ied|ying)"
    last = word[-1]
    doubled = ""
    if last not in "aeiouwxy" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        doubled = f"|{last}ing|{last}ed|{last}er"
    return re.escape(word) + f"(?:s|es|ed|ing{doubled})?"


def _phrase(phrase: str) -> str:
    words = phrase.lower().replace("-", " ").split()
    return r"[\s-]+".join(_inflect(w) for w in words)


@cache
def _compiled(table: tuple[tuple[str, tuple[str, ...]], ...]) -> _Table:
    return _Table(table)


class _Table:
    """One keyword table compiled into a single regex; the leftmost, then longest, match wins."""

    def __init__(self, table: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        entries = sorted(
            ((phrase, kind) for kind, phrases in table for phrase in phrases),
            key=lambda e: -len(e[0]),
        )
        self._kinds = [kind for _, kind in entries]
        alternatives = "|".join(f"(?P<k{i}>{_phrase(p)})" for i, (p, _) in enumerate(entries))
        self._regex = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def finditer(self, text: str) -> list[Match]:
        return [
            Match(self._kinds[int(m.lastgroup[1:])], m.group(0), m.start(), m.end())
            for m in self._regex.finditer(text)
            if m.lastgroup is not None
        ]


def find_all(table: Mapping[str, tuple[str, ...]], text: str) -> list[Match]:
    """Every non-overlapping keyword of ``table`` in ``text``, left to right."""
    frozen = tuple((kind, tuple(phrases)) for kind, phrases in table.items())
    return _compiled(frozen).finditer(text)


def find(table: Mapping[str, tuple[str, ...]], text: str) -> Match | None:
    """The first keyword of ``table`` in ``text``, or None."""
    found = find_all(table, text)
    return found[0] if found else None


def _with_modifiers(text: str, match: Match, blocked: list[Match], limit: int = 2) -> str:
    """Extend a noun match leftwards by up to ``limit`` modifiers: 'fox' -> 'red fox'.

    Words that other tables claim (an action verb, another noun) end the phrase, so
    'whale swims under the sea' gives the setting 'under the sea', not the whole clause.
    """
    words: list[str] = []
    head = text[: match.start]
    for _ in range(limit):
        m = re.search(r"([A-Za-z0-9][\w'&-]*)\s+$", head)
        if m is None or m.group(1).lower() in _STOP:
            break
        if any(b.start < m.end(1) and m.start(1) < b.end for b in blocked):
            break
        words.insert(0, m.group(1))
        head = head[: m.start()]
    return " ".join([*words, match.text])


def _fallback_subject(text: str, blocked: list[Match]) -> str | None:
    """'A teapot spinning ...' names a subject no table knows: take the opening noun phrase."""
    m = re.match(
        r"\s*(?:a|an|the|one|two|three)\s+([A-Za-z][\w'-]*)(?:\s+([A-Za-z][\w'-]*))?", text, re.I
    )
    if m is None:
        return None
    taken: list[str] = []
    for group in (1, 2):
        word, start = m.group(group), m.start(group)
        if word is None or word.lower() in _STOP or any(b.start <= start < b.end for b in blocked):
            break
        taken.append(word)
    return " ".join(taken) if taken else None


def analyse(prompt: str) -> PromptAnalysis:
    """Find the five elements and the keyword classes in ``prompt``; pure and cheap."""
    text = " ".join(prompt.split())
    subject = find(SUBJECTS, text)
    action = find(ACTIONS, text)
    setting = find(SETTINGS, text)
    camera = find(CAMERAS, text)
    shot = find(SHOTS, text)
    lighting = find(LIGHTING, text)
    style = find(STYLES, text)
    weather = find(WEATHER, text)
    mood = find(MOODS, text)
    colours = tuple(m.kind for m in find_all(COLOURS_TABLE, text))

    # Words of these tables never modify another element's noun ("a fox runs" + "forest").
    claimed = [m for t in _NOUN_VERB_TABLES for m in find_all(t, text)]
    subject_phrase: str | None = None
    subject_colour: str | None = None
    if subject is not None:
        subject_phrase = _with_modifiers(text, subject, claimed)
        for m in find_all(COLOURS_TABLE, subject_phrase):
            subject_colour = m.kind
    else:
        others = [m for t in _CONTENT_TABLES for m in find_all(t, text)]
        subject_phrase = _fallback_subject(text, others)

    return PromptAnalysis(
        prompt=prompt,
        subject=subject_phrase,
        action=action.text if action else None,
        setting=_with_modifiers(text, setting, claimed) if setting else None,
        camera=camera.text if camera else None,
        shot=shot.text if shot else None,
        lighting=lighting.text if lighting else None,
        style=style.text if style else None,
        subject_kind=subject.kind if subject else ("object" if subject_phrase else None),
        action_kind=action.kind if action else None,
        setting_kind=setting.kind if setting else None,
        camera_kind=camera.kind if camera else None,
        shot_kind=shot.kind if shot else None,
        lighting_kind=lighting.kind if lighting else None,
        weather=weather.kind if weather else None,
        style_kind=style.kind if style else None,
        mood=mood.kind if mood else None,
        colours=colours,
        subject_colour=subject_colour,
    )
