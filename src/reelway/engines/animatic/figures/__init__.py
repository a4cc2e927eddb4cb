"""The subject families the animatic draws: one drawing per family, chosen by the prompt's
noun (``prompting.FAMILIES``), and what the engine needs to know to place and move it.

Each row: the drawer, the sprite box (width, height in units of the figure size; the anchor is
the box's bottom centre), the figure size as a fraction of the frame height in a medium shot,
how it moves (``MODES``), and its usual colour when the noun has none of its own.  Only the
families a prompt names are ever drawn (the sprite cache draws on first use).
"""

from __future__ import annotations

from dataclasses import dataclass

from reelway.engines.animatic.figures import (
    animals,
    buildings,
    creatures,
    nature,
    objects,
    people,
    sky,
    vehicles,
    water,
)
from reelway.engines.animatic.figures.pen import RGB, Drawer, Pen, shade

MODES = ("ground", "air", "hover", "water", "surface", "fixed", "rooted", "sky")
"""ground: stands and walks; air: flies; hover: floats in the air; water: swims below the
surface; surface: floats on it (boats, swans); fixed: stays put unless the prompt moves it
(objects, a perched bird); rooted: never travels (buildings, plants); sky: hangs in the sky
and never travels (planets, the moon)."""


@dataclass(frozen=True)
class Family:
    drawer: Drawer
    box: tuple[float, float]
    size: float
    mode: str
    colour: RGB


F = Family
FAMILIES: dict[str, Family] = {
    # animals on the ground
    "cat": F(animals.cat, (1.35, 1.05), 0.24, "ground", (232, 152, 72)),
    "dog": F(animals.dog, (1.45, 0.85), 0.26, "ground", (192, 142, 92)),
    "fox": F(animals.fox, (2.1, 0.8), 0.3, "ground", (222, 112, 40)),
    "horse": F(animals.horse, (1.8, 1.4), 0.28, "ground", (132, 88, 58)),
    "unicorn": F(animals.unicorn, (1.4, 1.8), 0.3, "ground", (250, 250, 255)),
    "bear": F(animals.bear, (1.5, 0.8), 0.3, "ground", (112, 78, 52)),
    "big_cat": F(animals.big_cat, (2.15, 0.85), 0.27, "ground", (236, 132, 40)),
    "lion": F(animals.lion, (2.0, 0.95), 0.27, "ground", (212, 162, 82)),
    "deer": F(animals.deer, (1.7, 1.55), 0.27, "ground", (172, 112, 72)),
    "camel": F(animals.camel, (1.85, 1.15), 0.28, "ground", (204, 164, 104)),
    "giraffe": F(animals.giraffe, (2.4, 2.25), 0.26, "ground", (232, 182, 92)),
    "elephant": F(animals.elephant, (1.95, 0.9), 0.3, "ground", (142, 142, 152)),
    "rabbit": F(animals.rabbit, (1.0, 0.95), 0.17, "ground", (222, 212, 202)),
    "mouse": F(animals.mouse, (1.8, 0.5), 0.15, "ground", (150, 150, 156)),
    "cow": F(animals.cow, (1.6, 1.0), 0.28, "ground", (240, 240, 236)),
    "sheep": F(animals.sheep, (1.3, 0.75), 0.22, "ground", (246, 246, 240)),
    "pig": F(animals.pig, (1.4, 0.65), 0.22, "ground", (240, 172, 172)),
    "dinosaur": F(creatures.dinosaur, (2.0, 1.2), 0.34, "ground", (92, 142, 82)),
    "frog": F(creatures.frog, (1.2, 0.65), 0.14, "ground", (96, 170, 70)),
    "snail": F(creatures.snail, (1.0, 0.65), 0.13, "ground", (180, 120, 70)),
    "turtle": F(water.turtle, (1.25, 0.65), 0.18, "ground", (92, 140, 80)),
    "penguin": F(creatures.penguin, (0.8, 0.95), 0.22, "ground", (30, 30, 38)),
    # birds and insects
    "bird": F(creatures.bird, (1.2, 1.05), 0.16, "air", (60, 110, 200)),
    "perched_bird": F(creatures.perched_bird, (1.0, 0.9), 0.16, "fixed", (200, 90, 60)),
    "heron": F(creatures.heron, (1.5, 1.4), 0.3, "fixed", (150, 162, 180)),
    "owl": F(creatures.owl, (1.3, 1.1), 0.2, "fixed", (152, 112, 72)),
    "swan": F(creatures.swan, (1.2, 0.95), 0.22, "surface", (250, 250, 250)),
    "butterfly": F(creatures.butterfly, (0.85, 1.1), 0.16, "air", (250, 150, 40)),
    "insect": F(creatures.insect, (1.05, 0.9), 0.14, "air", (242, 202, 40)),
    # in the water
    "spider": F(creatures.spider, (1.4, 0.65), 0.16, "ground", (40, 36, 44)),
    "fish": F(water.fish, (1.5, 0.8), 0.16, "water", (250, 140, 30)),
    "whale": F(water.whale, (2.05, 0.9), 0.3, "water", (72, 98, 132)),
    "shark": F(water.shark, (1.65, 0.9), 0.24, "water", (122, 136, 152)),
    "jellyfish": F(water.jellyfish, (0.95, 1.1), 0.2, "water", (240, 160, 220)),
    "octopus": F(water.octopus, (1.45, 1.1), 0.22, "water", (220, 90, 80)),
    # fantasy
    "dragon": F(creatures.dragon, (2.0, 1.35), 0.3, "air", (172, 42, 42)),
    "ghost": F(creatures.ghost, (1.2, 1.15), 0.26, "hover", (240, 242, 250)),
    "monster": F(creatures.monster, (1.6, 1.3), 0.36, "ground", (110, 150, 90)),
    # people
    "person": F(people.person, (1.1, 1.2), 0.34, "ground", (60, 110, 200)),
    "knight": F(people.knight, (1.4, 1.35), 0.34, "ground", (176, 180, 192)),
    "wizard": F(people.wizard, (1.1, 1.45), 0.34, "ground", (72, 62, 156)),
    "robot": F(people.robot, (1.1, 1.2), 0.34, "ground", (172, 182, 196)),
    # vehicles
    "car": F(vehicles.car, (1.8, 0.85), 0.2, "ground", (214, 48, 49)),
    "bus": F(vehicles.bus, (2.0, 1.05), 0.24, "ground", (232, 182, 40)),
    "train": F(vehicles.train, (2.0, 1.35), 0.26, "ground", (182, 42, 42)),
    "bicycle": F(vehicles.bicycle, (1.55, 0.95), 0.22, "ground", (44, 100, 236)),
    "motorcycle": F(vehicles.motorcycle, (1.55, 0.95), 0.22, "ground", (30, 30, 34)),
    "boat": F(vehicles.boat, (2.0, 1.0), 0.24, "surface", (196, 120, 70)),
    "sailing_ship": F(vehicles.sailing_ship, (2.0, 1.55), 0.3, "surface", (110, 76, 52)),
    "submarine": F(vehicles.submarine, (2.1, 0.95), 0.24, "water", (232, 202, 40)),
    "plane": F(vehicles.plane, (1.7, 0.85), 0.18, "air", (236, 236, 242)),
    "helicopter": F(vehicles.helicopter, (1.95, 0.95), 0.2, "air", (202, 62, 52)),
    "rocket": F(vehicles.rocket, (0.7, 1.5), 0.3, "air", (232, 232, 238)),
    "ufo": F(vehicles.ufo, (1.6, 0.85), 0.2, "hover", (182, 192, 204)),
    "balloon": F(vehicles.balloon, (0.95, 1.4), 0.26, "hover", (226, 60, 60)),
    "kite": F(vehicles.kite, (0.9, 1.1), 0.22, "hover", (246, 204, 40)),
    # buildings
    "lighthouse": F(buildings.lighthouse, (2.0, 1.55), 0.42, "rooted", (206, 44, 44)),
    "castle": F(buildings.castle, (1.7, 1.6), 0.34, "rooted", (168, 160, 150)),
    "skyscraper": F(buildings.skyscraper, (0.75, 1.9), 0.46, "rooted", (96, 118, 150)),
    "house": F(buildings.house, (1.35, 1.7), 0.3, "rooted", (236, 216, 180)),
    "bridge": F(buildings.bridge, (2.3, 1.05), 0.3, "rooted", (190, 70, 50)),
    "windmill": F(buildings.windmill, (1.5, 1.65), 0.32, "rooted", (236, 226, 206)),
    "clock_tower": F(buildings.clock_tower, (0.6, 2.15), 0.33, "rooted", (206, 184, 136)),
    "market": F(buildings.market, (2.6, 1.36), 0.36, "rooted", (214, 52, 52)),
    # plants
    "tree": F(nature.tree, (1.3, 1.55), 0.36, "rooted", (58, 140, 64)),
    "flower": F(nature.flower, (0.65, 1.15), 0.24, "rooted", (236, 80, 120)),
    "cactus": F(nature.cactus, (0.8, 1.2), 0.3, "rooted", (70, 150, 80)),
    "mushroom": F(nature.mushroom, (0.95, 0.9), 0.2, "rooted", (214, 48, 49)),
    # food and drink
    "cake": F(objects.cake, (1.2, 1.1), 0.22, "fixed", (240, 170, 190)),
    "pizza": F(objects.pizza, (1.55, 0.95), 0.22, "fixed", (246, 200, 90)),
    "burger": F(objects.burger, (1.3, 0.95), 0.22, "fixed", (210, 140, 70)),
    "fruit": F(objects.fruit, (1.0, 0.9), 0.18, "fixed", (212, 40, 40)),
    "coffee": F(objects.coffee, (1.0, 0.95), 0.2, "fixed", (246, 246, 242)),
    # everyday objects
    "teapot": F(objects.teapot, (1.45, 0.95), 0.2, "fixed", (222, 222, 232)),
    "lamp": F(objects.lamp, (1.0, 1.1), 0.24, "fixed", (60, 110, 90)),
    "book": F(objects.book, (1.5, 0.95), 0.2, "fixed", (150, 50, 50)),
    "clock": F(objects.clock, (0.85, 1.0), 0.2, "fixed", (214, 48, 49)),
    "umbrella": F(objects.umbrella, (1.2, 1.25), 0.26, "fixed", (44, 100, 236)),
    "ball": F(objects.ball, (0.9, 0.9), 0.16, "ground", (232, 82, 62)),
    # the sky
    "planet": F(sky.planet, (1.65, 0.95), 0.36, "sky", (214, 170, 110)),
    "moon": F(sky.moon, (1.25, 1.05), 0.34, "sky", (236, 234, 222)),
    "full_moon": F(sky.full_moon, (1.3, 1.3), 0.26, "sky", (238, 236, 226)),
    "sun": F(sky.sun, (1.0, 1.05), 0.34, "sky", (252, 204, 60)),
    "star": F(sky.star, (1.0, 1.05), 0.26, "sky", (252, 222, 90)),
    # anything else: a signboard with the noun on it
    "sign": F(objects.sign, (1.0, 0.95), 0.22, "fixed", (150, 110, 72)),
}
"""Every family the prompt reader knows, plus "sign" (the labelled fallback)."""

ALIASES = {
    "animal": "dog",
    "aircraft": "plane",
    "vehicle": "car",
    "object": "sign",
}
"""Older figure classes (a character's silhouette class) -> the family drawn for them."""


def family(name: str | None) -> str:
    """The family drawn for ``name``: itself, its alias, or the labelled sign."""
    name = ALIASES.get(name or "", name or "")
    return name if name in FAMILIES else "sign"


def spec(name: str | None) -> Family:
    return FAMILIES[family(name)]


__all__ = ["FAMILIES", "MODES", "RGB", "Family", "Pen", "family", "shade", "spec"]
