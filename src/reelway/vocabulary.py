"""The words a video prompt is read with: one table per element and modifier.

Plain data, kept apart from the matching code in ``prompting`` (which re-exports every
table): a new subject, pattern or setting is a line here.  Each table maps a class to the
phrases that name it; matching is case-insensitive, on word boundaries, and accepts the
common inflections of each word, so only base forms are listed.  Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping

ELEMENTS = ("subject", "action", "setting", "camera_lighting", "style")
"""The five elements of a shot, in the order a prompt usually names them."""

FAMILIES: Mapping[str, tuple[str, ...]] = {
    "person": (
        "person", "people", "man", "men", "woman", "women", "girl", "boy", "child", "children",
        "kid", "baby", "dancer", "astronaut", "chef", "surfer", "skateboarder",
        "skater", "cowboy", "soldier", "detective", "ninja", "samurai",
        "runner", "hiker", "climber", "couple", "family", "crowd", "musician", "guitarist",
        "singer", "pilot", "diver", "scientist", "student", "grandmother", "grandfather",
        "ballerina", "monk", "king", "queen", "princess", "prince", "warrior", "explorer",
        "traveler", "traveller", "fisherman", "farmer", "athlete", "boxer", "cyclist",
        "swimmer", "photographer", "painter", "teenager", "character", "hero", "stranger",
        "mermaid", "fairy", "elf", "vampire", "zombie", "pirate", "clown", "superhero",
        "rock star", "pop star", "movie star", "film star", "superstar",
    ),
    "knight": ("knight", "paladin", "crusader", "templar", "man-at-arms", "armored knight"),
    "wizard": (
        "wizard", "witch", "sorcerer", "sorceress", "mage", "warlock", "enchanter",
        "enchantress", "merlin", "gandalf",
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
        "pigeon", "sparrow", "falcon", "robin", "bluebird", "songbird", "finch",
        "phoenix", "albatross", "macaw",
    ),
    "heron": (
        "heron", "egret", "stork", "flamingo", "ibis", "spoonbill", "whooping crane",
        "sandhill crane", "crowned crane", "wading bird",
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
    "market": (
        "market", "marketplace", "night market", "street market", "bazaar", "souk",
        "market stall", "food stall", "flea market", "farmers market", "street food stall",
    ),
    "clock_tower": (
        "clock tower", "clocktower", "big ben", "bell tower", "belfry", "campanile",
    ),
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
    "moon": ("moon", "crescent moon", "half moon"),
    "full_moon": ("full moon", "harvest moon", "supermoon", "blood moon", "moonrise"),
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
    "person": "person", "knight": "person", "wizard": "person", "robot": "robot",
    **dict.fromkeys(
        ("cat", "dog", "fox", "horse", "unicorn", "bear", "big_cat", "lion", "deer", "giraffe",
         "camel", "frog", "snail", "elephant", "rabbit", "mouse", "cow", "sheep", "pig", "dinosaur",
         "penguin", "monster"),
        "animal",
    ),
    **dict.fromkeys(
        ("bird", "perched_bird", "heron", "owl", "swan", "butterfly", "insect", "dragon"),
        "bird",
    ),
    **dict.fromkeys(("fish", "whale", "shark", "jellyfish", "octopus", "turtle"), "fish"),
    "spider": "animal",
    **dict.fromkeys(("car", "bus", "train", "bicycle", "motorcycle"), "vehicle"),
    **dict.fromkeys(("boat", "sailing_ship", "submarine"), "boat"),
    **dict.fromkeys(("plane", "helicopter", "rocket", "ufo"), "aircraft"),
    **dict.fromkeys(("balloon", "kite", "ghost"), "balloon"),
    **dict.fromkeys(
        ("lighthouse", "castle", "skyscraper", "house", "bridge", "windmill", "clock_tower",
         "market"),
        "building",
    ),
    **dict.fromkeys(("tree", "flower", "cactus", "mushroom"), "plant"),
    **dict.fromkeys(("planet", "moon", "full_moon", "sun", "star"), "sky"),
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
        "cast", "conjure", "cast a spell",
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
        "pond", "canal", "lagoon", "marina", "marsh", "swamp", "wetland",
    ),
    "forest": ("forest", "woods", "woodland", "jungle", "rainforest", "grove", "trees"),
    "city": (
        "city", "street", "downtown", "alley", "alleyway", "skyline", "rooftop", "metropolis",
        "town", "avenue", "neighborhood", "crosswalk", "highway", "road", "new york", "tokyo",
        "paris", "market", "marketplace", "bazaar", "souk",
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

PAIRINGS: Mapping[str, tuple[str, ...]] = {
    "beside": (
        "and", "&", "with", "plus", "alongside", "beside", "next to", "together with",
        "as well as", "followed by", "chased by", "accompanied by", "joined by", "walk",
        "lead", "carry", "hold", "hug", "pet", "feed", "meet", "greet", "fight", "battle",
        "race", "herd", "watch", "kiss", "cuddle", "befriend", "play", "help", "face",
    ),
    "ahead": ("chase", "follow", "hunt", "pursue"),
    "riding": (
        "ride", "rode", "ridden", "on", "onto", "atop", "astride", "upon", "on top of",
        "on the back of", "mounted on",
    ),
}  # fmt: skip
"""The words that join a second subject to the first, by how the two go together: the last
such word before the second noun decides ("a cat in a garden with a dog": beside)."""

RIDERS = frozenset({"person", "knight", "wizard", "robot", "monster"})
"""Families that ride (sit on a mount's back)."""
MOUNTS = frozenset(
    {
        "horse", "unicorn", "camel", "elephant", "bicycle", "motorcycle", "dragon", "dinosaur",
        "deer", "cow", "big_cat", "lion", "bear",
    }
)  # fmt: skip
"""Families a rider can sit on: "a knight on a dragon" rides it, "a cat on a horse" does not
(nor does anyone ride a bus or a table)."""
