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

FAMILIES: Mapping[str, tuple[str, ...]] = {
    "person": (
        "person", "people", "man", "men", "woman", "women", "girl", "boy", "child", "children",
        "kid", "baby", "dancer", "astronaut", "knight", "chef", "surfer", "skateboarder",
        "skater", "cowboy", "soldier", "detective", "wizard", "witch", "ninja", "samurai",
        "runner", "hiker", "climber", "couple", "family", "crowd", "musician", "guitarist",
        "singer", "pilot", "diver", "scientist", "student", "grandmother", "grandfather",
        "ballerina", "monk", "king", "queen", "princess", "prince", "warrior", "explorer",
        "traveler", "traveller", "fisherman", "farmer", "athlete", "boxer", "cyclist",
        "swimmer", "photographer", "painter", "teenager", "character", "hero", "stranger",
        "mermaid", "fairy", "elf", "vampire", "zombie", "pirate", "clown", "superhero",
    ),
    "robot": ("robot", "android", "cyborg", "mech", "droid", "automaton"),
    "cat": ("cat", "kitten", "kitty", "housecat"),
    "dog": (
        "dog", "puppy", "corgi", "retriever", "poodle", "labrador", "dachshund", "husky",
        "beagle", "terrier", "hound", "sheepdog", "bulldog", "dalmatian",
    ),
    "fox": ("fox", "wolf", "wolves", "coyote", "jackal", "raccoon", "squirrel", "otter"),
    "horse": ("horse", "pony", "stallion", "mare", "foal", "zebra", "donkey"),
    "unicorn": ("unicorn", "pegasus"),
    "bear": ("bear", "panda", "grizzly", "polar bear", "koala"),
    "big_cat": ("tiger", "leopard", "cheetah", "jaguar", "panther", "cougar", "lynx"),
    "lion": ("lion", "lioness"),
    "deer": ("deer", "reindeer", "stag", "moose", "elk", "antelope", "gazelle", "fawn"),
    "giraffe": ("giraffe",),
    "camel": ("camel", "dromedary"),
    "elephant": ("elephant", "mammoth"),
    "rabbit": ("rabbit", "bunny", "hare"),
    "mouse": ("mouse", "mice", "rat", "hamster", "hedgehog"),
    "cow": ("cow", "bull", "ox", "cattle", "buffalo", "bison", "calf"),
    "sheep": ("sheep", "lamb", "goat", "llama", "alpaca"),
    "pig": ("pig", "piglet", "boar", "hog"),
    "dinosaur": ("dinosaur", "t-rex", "tyrannosaurus", "raptor"),
    "turtle": ("turtle", "tortoise"),
    "snail": ("snail", "slug"),
    "frog": ("frog", "toad", "tadpole"),
    "penguin": ("penguin",),
    "bird": (
        "bird", "eagle", "hawk", "crow", "raven", "seagull", "gull", "parrot", "hummingbird",
        "pigeon", "sparrow", "flamingo", "falcon", "robin", "bluebird", "songbird", "finch",
        "phoenix", "stork", "heron", "albatross", "macaw",
    ),
    "perched_bird": ("perched bird", "bird on a branch", "bird on a wire"),
    "owl": ("owl",),
    "swan": ("swan", "duck", "duckling", "goose", "geese"),
    "butterfly": ("butterfly", "butterflies", "moth"),
    "insect": (
        "bee", "bumblebee", "honeybee", "wasp", "insect", "bug", "beetle", "ladybug",
        "ladybird", "dragonfly", "firefly", "fireflies",
    ),
    "spider": ("spider", "tarantula", "scorpion"),
    "fish": (
        "fish", "goldfish", "koi", "salmon", "trout", "clownfish", "piranha", "seahorse",
        "manta ray", "stingray", "seal",
    ),
    "whale": ("whale", "orca", "humpback"),
    "shark": ("shark", "dolphin", "porpoise"),
    "jellyfish": ("jellyfish",),
    "octopus": ("octopus", "squid", "kraken"),
    "dragon": ("dragon", "wyvern"),
    "ghost": ("ghost", "spirit", "phantom", "specter", "spectre", "wraith"),
    "monster": (
        "monster", "yeti", "troll", "ogre", "bigfoot", "kaiju", "creature", "beast", "alien",
        "goblin", "golem",
    ),
    "car": (
        "car", "taxi", "cab", "jeep", "race car", "sports car", "convertible", "police car",
        "tractor", "limousine",
    ),
    "bus": ("bus", "truck", "lorry", "van", "fire truck", "camper van", "double-decker"),
    "train": ("train", "locomotive", "tram", "steam train", "subway train", "streetcar"),
    "bicycle": ("bicycle", "bike", "tricycle"),
    "motorcycle": ("motorcycle", "motorbike", "scooter", "moped"),
    "boat": (
        "boat", "canoe", "kayak", "rowboat", "raft", "gondola", "ferry", "speedboat",
        "fishing boat", "tugboat",
    ),
    "sailing_ship": (
        "ship", "sailboat", "sailing ship", "yacht", "pirate ship", "galleon", "schooner",
        "tall ship", "sailing boat",
    ),
    "submarine": ("submarine",),
    "plane": (
        "plane", "airplane", "aeroplane", "jet", "airliner", "glider", "biplane",
        "fighter jet", "paper airplane",
    ),
    "helicopter": ("helicopter", "chopper"),
    "rocket": ("rocket", "spaceship", "spacecraft", "starship", "space shuttle", "missile"),
    "ufo": ("ufo", "flying saucer", "saucer"),
    "balloon": ("balloon", "hot air balloon", "airship", "zeppelin", "blimp"),
    "kite": ("kite",),
    "lighthouse": ("lighthouse", "beam sweeps", "sweeping beam", "lighthouse beam"),
    "castle": ("castle", "palace", "fortress", "citadel"),
    "skyscraper": ("skyscraper", "tower", "high-rise", "tower block", "office building"),
    "house": ("house", "cottage", "cabin", "hut", "barn", "farmhouse", "bungalow"),
    "bridge": ("bridge", "golden gate"),
    "windmill": ("windmill",),
    "tree": ("tree", "oak", "oak tree", "pine tree", "palm tree", "willow", "sapling", "maple"),
    "flower": ("flower", "rose", "tulip", "sunflower", "daisy", "lily", "orchid", "poppy"),
    "cactus": ("cactus", "cacti", "succulent"),
    "mushroom": ("mushroom", "toadstool"),
    "cake": ("cake", "cupcake", "birthday cake", "pie", "dessert"),
    "pizza": ("pizza",),
    "burger": ("burger", "hamburger", "cheeseburger", "sandwich"),
    "fruit": ("apple", "fruit", "pear", "peach", "strawberry", "tomato", "lemon"),
    "coffee": (
        "coffee", "cup", "mug", "latte", "espresso", "cappuccino", "teacup", "tea cup",
        "cup of coffee", "cup of tea", "hot chocolate",
    ),
    "teapot": ("teapot", "kettle"),
    "lamp": ("lamp", "lantern", "paper lantern", "desk lamp", "table lamp"),
    "book": ("book", "novel", "diary", "notebook", "storybook"),
    "clock": ("clock", "alarm clock", "pocket watch", "wristwatch", "hourglass"),
    "umbrella": ("umbrella", "parasol"),
    "ball": (
        "ball", "orb", "sphere", "football", "soccer ball", "basketball", "beach ball",
        "marble", "bubble",
    ),
    "planet": ("planet", "saturn", "jupiter", "exoplanet", "gas giant"),
    "moon": ("moon", "full moon", "crescent moon"),
    "sun": ("sun",),
    "star": ("star", "shooting star"),
    "sign": (
        "cube", "crystal", "bottle", "chair", "guitar", "toy", "statue", "coin", "feather",
        "leaf", "gift", "box", "crate", "sword", "hat", "shoe",
        "vase", "piano", "trophy", "treasure chest",
    ),
}  # fmt: skip
"""Subject families: one drawing each in the animatic; "sign" is a noun drawn as a labelled
signboard (it has no drawing of its own)."""

FAMILY_KIND: Mapping[str, str] = {
    "person": "person", "robot": "robot",
    **dict.fromkeys(
        ("cat", "dog", "fox", "horse", "unicorn", "bear", "big_cat", "lion", "deer", "giraffe",
         "camel", "frog", "snail", "elephant", "rabbit", "mouse", "cow", "sheep", "pig", "dinosaur",
         "penguin", "monster"),
        "animal",
    ),
    **dict.fromkeys(
        ("bird", "perched_bird", "owl", "swan", "butterfly", "insect", "dragon"), "bird"
    ),
    **dict.fromkeys(("fish", "whale", "shark", "jellyfish", "octopus", "turtle"), "fish"),
    "spider": "animal",
    **dict.fromkeys(("car", "bus", "train", "bicycle", "motorcycle"), "vehicle"),
    **dict.fromkeys(("boat", "sailing_ship", "submarine"), "boat"),
    **dict.fromkeys(("plane", "helicopter", "rocket", "ufo"), "aircraft"),
    **dict.fromkeys(("balloon", "kite", "ghost"), "balloon"),
    **dict.fromkeys(
        ("lighthouse", "castle", "skyscraper", "house", "bridge", "windmill"), "building"
    ),
    **dict.fromkeys(("tree", "flower", "cactus", "mushroom"), "plant"),
    **dict.fromkeys(("planet", "moon", "sun", "star"), "sky"),
    **dict.fromkeys(
        ("cake", "pizza", "burger", "fruit", "coffee", "teapot", "lamp", "book", "clock",
         "umbrella", "ball", "sign"),
        "object",
    ),
}  # fmt: skip
"""Each family's broad class (``PromptAnalysis.subject_kind``): what a linter or a coarser
engine needs, and the classes older callers know."""


def _by_kind() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for family, phrases in FAMILIES.items():
        kind = FAMILY_KIND[family]
        table[kind] = table.get(kind, ()) + phrases
    return table


SUBJECTS: Mapping[str, tuple[str, ...]] = _by_kind()
"""Subject phrases by broad class (the families' phrases, grouped)."""

PATTERNS: Mapping[str, tuple[str, ...]] = {
    "calico": ("calico", "tortoiseshell", "patchwork"),
    "striped": ("striped", "stripes", "stripy", "stripey", "pinstriped"),
    "tabby": ("tabby",),
    "spotted": ("spotted", "spots", "spotty", "dotted", "polka dot", "polka-dot"),
    "metallic": ("metallic", "chrome", "chromed", "steel", "metal", "silvery"),
    "glowing": (
        "glowing", "glow", "luminous", "bioluminescent", "radiant", "shining", "sparkling",
        "incandescent", "fiery", "light-up",
    ),
}  # fmt: skip
"""Colours and markings on the subject's body (plain colours are ``COLOURS``)."""

SIZES: Mapping[str, tuple[str, ...]] = {
    "tiny": ("tiny", "small", "little", "miniature", "mini", "teeny", "itty-bitty", "wee"),
    "giant": (
        "giant", "huge", "enormous", "gigantic", "massive", "colossal", "big",
        "large", "immense", "monstrous",
    ),
}  # fmt: skip

COUNTS: Mapping[str, tuple[str, ...]] = {
    "2": ("two", "2", "pair of", "couple of", "twin", "both"),
    "3": ("three", "3", "few", "trio of"),
    "4": ("four", "4", "several", "some"),
    "5": (
        "five", "5", "six", "6", "seven", "7", "eight", "8", "nine", "9", "ten", "10", "many",
        "dozens of", "dozen", "group of", "flock of", "herd of", "pack of", "school of",
        "swarm of", "crowd of", "family of", "fleet of", "row of",
    ),
}  # fmt: skip
"""How many the prompt asks for; more than five are drawn as five (a crowd, not a census)."""
_PLURALS = {"people": 3, "crowd": 5, "couple": 2, "family": 3, "children": 3, "men": 3,
            "women": 3, "mice": 3, "wolves": 3, "geese": 3, "cattle": 3, "butterflies": 3,
            "fireflies": 3, "cacti": 3}  # fmt: skip

ACTIONS: Mapping[str, tuple[str, ...]] = {
    "walk": (
        "walk", "stroll", "wander", "hike", "march", "stride", "trek", "amble", "waddle",
        "crawl", "trot", "prowl", "creep", "tiptoe", "saunter", "stalk", "slither",
    ),
    "run": (
        "run", "ran", "sprint", "jog", "race", "gallop", "dash", "chase", "flee", "rush",
        "scurry", "scamper", "charge",
    ),
    "fly": ("fly", "flew", "flown", "soar", "glide", "flutter", "flap", "swoop"),
    "jump": ("jump", "leap", "leapt", "hop", "bounce", "vault", "skip"),
    "spin": ("spin", "spun", "twirl", "rotate", "whirl", "pirouette", "revolve", "tumble"),
    "dance": ("dance", "groove", "sway", "waltz", "tango", "boogie"),
    "swim": ("swim", "swam", "swum", "dive", "dove", "paddle", "snorkel"),
    "drive": ("drive", "drove", "driven", "ride", "rode", "ridden", "cruise", "sail", "steer"),
    "float": ("float", "drift", "hover", "levitate", "bob"),
    "fall": ("fall", "fell", "fallen", "drop", "plummet", "descend", "sink", "sank"),
    "climb": ("climb", "ascend", "rise", "rose", "risen", "lift off", "launch", "take off"),
    "sleep": (
        "sleep", "slept", "asleep", "nap", "doze", "snooze", "slumber", "curled up", "curl up",
        "hibernate",
    ),
    "idle": (
        "sit", "sat", "stand", "stood", "rest", "perch", "roost", "wait", "watch", "gaze",
        "stare", "look", "read", "lie", "lying", "pose", "meditate", "smile", "laugh", "think",
    ),
}  # fmt: skip

SETTINGS: Mapping[str, tuple[str, ...]] = {
    "underwater": (
        "underwater", "under water", "under the sea", "coral reef", "reef", "seabed",
        "sea floor", "ocean floor", "deep sea", "deep ocean", "aquarium", "kelp forest",
    ),
    "space": (
        "outer space", "space", "galaxy", "nebula", "cosmos", "planet", "asteroid",
        "starfield", "space station", "moon surface", "mars",
    ),
    "beach": (
        "beach", "shore", "shoreline", "coast", "coastline", "seaside", "tropical island",
        "island", "sand",
    ),
    "ocean": (
        "ocean", "sea", "open water", "lake", "river", "harbor", "harbour", "bay", "pier",
        "pond", "canal", "lagoon", "marina",
    ),
    "forest": ("forest", "woods", "woodland", "jungle", "rainforest", "grove", "trees"),
    "city": (
        "city", "street", "downtown", "alley", "alleyway", "skyline", "rooftop", "metropolis",
        "town", "avenue", "neighborhood", "crosswalk", "highway", "road", "new york", "tokyo",
        "paris",
    ),
    "desert": ("desert", "dune", "sand dunes", "canyon", "mesa", "sahara", "badlands"),
    "mountain": (
        "mountain", "peak", "summit", "glacier", "alps", "cliff", "ridge", "valley",
        "snowfield", "tundra", "arctic", "antarctic", "ski slope", "ice floe", "ice",
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
        "after dark", "darkness", "night falls", "nightfall",
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
    "rain": (
        "rain",
        "rainy",
        "downpour",
        "drizzle",
        "storm",
        "thunderstorm",
        "monsoon",
        "falling rain",
    ),
    "snow": (
        "snow",
        "snowy",
        "snowfall",
        "blizzard",
        "snowflake",
        "frost",
        "frozen",
        "falling snow",
    ),
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
    subject_family: str | None = None
    """The subject's family (``FAMILIES``): what the animatic draws."""
    subject_pattern: str | None = None
    """Markings on the subject (``PATTERNS``): calico, striped, spotted, glowing..."""
    subject_size: str | None = None
    """"tiny" or "giant" when the prompt says so (``SIZES``)."""
    subject_count: int = 1
    """How many of the subject ("three birds", "a pair of swans", "wolves")."""

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
        if group == 1 and word.lower() in _NOT_THINGS:
            return None  # "the same forest", "the scene comes alive": no new subject
        if group == 2 and word.lower().endswith("s") and not taken[0].lower().endswith("s"):
            break  # "the beam sweeps": a verb, not the second word of the noun
        taken.append(word)
    return " ".join(taken) if taken else None


_NOT_THINGS = frozenset(
    (
        "same", "scene", "shot", "camera", "view", "whole", "entire", "new", "next", "other",
        "story", "moment", "frame", "video", "clip", "image", "picture", "sequence", "montage",
        "footage", "film", "movie", "animation", "final", "first", "last", "following",
    )
)  # fmt: skip
"""Opening words that do not name a thing to draw."""


def _subject_match(text: str) -> Match | None:
    """The first subject noun, skipping "couple" in "a couple of" (a count, not people)."""
    for m in find_all(FAMILIES, text):
        if m.text.lower() == "couple" and re.match(r"\s+of\b", text[m.end :], re.I):
            continue
        return m
    return None


def _before(text: str, match: Match, words: int = 5) -> tuple[str, int]:
    """Up to ``words`` words before ``match`` in its clause, and where they start."""
    head = text[: match.start]
    cut = max(head.rfind(c) for c in ",.;:!?")
    start = cut + 1
    found = list(re.finditer(r"\S+", head[start:]))[-words:]
    if found:
        start += found[0].start()
    else:
        start = match.start
    return text[start : match.start], start


def _modifiers(
    text: str, subject: Match, claimed: list[Match]
) -> tuple[str | None, str | None, int]:
    """The subject's pattern, size and count: size and count from the words just before its
    noun ("three tiny birds"), a pattern from anywhere in its clause ("a cat with calico
    fur") unless another table claims the word ("glowing signs" is neon light)."""
    window, _ = _before(text, subject)
    size = find(SIZES, window)
    count_m = find(COUNTS, window)
    count = int(count_m.kind) if count_m else 1
    noun = subject.text.lower()
    if count_m is None and noun in _PLURALS:
        count = _PLURALS[noun]
    elif count_m is None and _plural(noun, FAMILIES[subject.kind]):
        count = 3  # a plain plural: "birds fly over the sea"
    _, start = _before(text, subject)
    tail = re.search(r"[.;:!?]", text[subject.end :])
    end = subject.end + tail.start() if tail else len(text)
    clause = text[start:end]
    pattern = None
    for m in find_all(PATTERNS, clause):
        s, e = m.start + start, m.end + start
        if not any(c.start < e and s < c.end for c in claimed):
            pattern = m.kind
            break
    return pattern, (size.kind if size else None), min(5, count)


def _overlaps(a: Match, b: Match) -> bool:
    return a.start < b.end and b.start < a.end


def _plural(noun: str, phrases: tuple[str, ...]) -> bool:
    """Whether ``noun`` is the plural of one of ``phrases`` (and not a phrase itself)."""
    return noun not in phrases and any(noun in (p + "s", p + "es", p[:-1] + "ies") for p in phrases)


def analyse(prompt: str) -> PromptAnalysis:
    """Find the five elements and the keyword classes in ``prompt``; pure and cheap."""
    text = " ".join(prompt.split())
    subject = _subject_match(text)
    actions = find_all(ACTIONS, text)
    # "roses" is not the verb "rose", nor "falling snow" or "as night falls" a fall
    taken = [m for t in (WEATHER, LIGHTING) for m in find_all(t, text)]
    taken += [subject] if subject is not None else []
    actions = [m for m in actions if not any(_overlaps(m, o) for o in taken)]
    action = actions[0] if actions else None
    settings = find_all(SETTINGS, text)
    setting = settings[0] if settings else None
    if subject is not None and setting is not None and FAMILY_KIND[subject.kind] != "sky":
        # "a house on a hill": the subject's own noun is not where it stands
        apart = [m for m in settings if not (m.start < subject.end and subject.start < m.end)]
        setting = apart[0] if apart else None
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
    family: str | None = None
    pattern: str | None = None
    size: str | None = None
    count = 1
    if subject is not None:
        subject_phrase = _with_modifiers(text, subject, claimed)
        for m in find_all(COLOURS_TABLE, subject_phrase):
            subject_colour = m.kind
        family = subject.kind
        others = [m for t in (LIGHTING, STYLES, SETTINGS, WEATHER) for m in find_all(t, text)]
        pattern, size, count = _modifiers(text, subject, others)
        if family == "bird" and action is not None and action.kind in _GROUNDED:
            family = "perched_bird"
    else:
        others = [m for t in _CONTENT_TABLES for m in find_all(t, text)]
        subject_phrase = _fallback_subject(text, others)
        family = "sign" if subject_phrase else None
        lit = [m for t in (LIGHTING, STYLES, SETTINGS, WEATHER) for m in find_all(t, text)]
        marks = [m for m in find_all(PATTERNS, text) if not any(_overlaps(m, o) for o in lit)]
        pattern = marks[0].kind if marks else None  # "make it striped": for a remix

    return PromptAnalysis(
        prompt=prompt,
        subject=subject_phrase,
        action=action.text if action else None,
        setting=_with_modifiers(text, setting, claimed) if setting else None,
        camera=camera.text if camera else None,
        shot=shot.text if shot else None,
        lighting=lighting.text if lighting else None,
        style=style.text if style else None,
        subject_kind=FAMILY_KIND[subject.kind]
        if subject
        else ("object" if subject_phrase else None),
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
        subject_family=family,
        subject_pattern=pattern,
        subject_size=size,
        subject_count=count,
    )


_GROUNDED = frozenset({"idle", "sleep", "walk", "jump"})
"""Actions that put a bird on a perch rather than in the air."""
