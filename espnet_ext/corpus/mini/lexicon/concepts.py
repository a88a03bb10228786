"""The language-independent inventory: which concepts exist and how they may combine.

Every id here has an entry in each per-language lexicon (checked by :func:`~.missing_entries`).
Tags drive the sampler's selection (what can be bought, where one works); they carry no
language-specific grammar.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# Nouns: id -> space-separated tags. "mass": uncountable; "plonly": used in the plural only.
NOUNS: dict[str, str] = {
    # people ("kin": people one has, "my sister"; the others take "the")
    "mother": "person kin", "father": "person kin", "sister": "person kin",
    "brother": "person kin", "son": "person kin", "daughter": "person kin",
    "grandmother": "person kin", "grandfather": "person kin", "aunt": "person kin",
    "uncle": "person kin", "wife": "person kin", "husband": "person kin",
    "friend": "person kin", "girlfriend": "person kin", "boyfriend": "person kin",
    "neighbor": "person kin", "teacher": "person kin", "doctor": "person kin",
    "boss": "person kin", "colleague": "person kin", "student": "person", "child": "person",
    "man": "person", "woman": "person", "boy": "person", "girl": "person",
    "waiter": "person", "actor": "person", "actress": "person", "singer": "person",
    "tourist": "person", "lawyer": "person", "engineer": "person", "journalist": "person",
    "person": "person crowd", "parents": "person kin plonly",
    # animals
    "dog": "animal", "cat": "animal", "horse": "animal", "bird": "animal", "rabbit": "animal",
    # things
    "book": "goods read small", "car": "goods repair clean big", "bicycle": "goods repair clean",
    "phone": "goods lose repair small", "computer": "goods repair",
    "bag": "goods lose small", "umbrella": "goods lose small", "shirt": "goods wear",
    "jacket": "goods wear lose", "shoe": "goods wear", "watch": "goods lose repair small",
    "camera": "goods lose repair small", "lamp": "goods repair", "table": "goods clean",
    "chair": "goods repair paint", "ticket": "goods lose pay small", "present": "goods send small",
    "map": "goods small", "key": "lose small", "wallet": "lose small", "ball": "goods small",
    "newspaper": "goods read", "magazine": "goods read", "house": "goods clean big",
    "apartment": "goods clean big", "bottle": "open small", "box": "open send",
    "picture": "goods", "dress": "goods wear", "hat": "goods wear lose",
    "television": "goods repair", "sofa": "goods clean", "bed": "goods",
    "window": "open clean", "door": "open repair paint", "letter": "read write send open",
    "email": "read write send", "report": "read write send", "article": "read write",
    "message": "read write send", "novel": "read write", "song": "write",
    "package": "send open", "postcard": "write send", "passport": "lose small",
    "bill": "pay",
    # food and drink
    "apple": "food", "banana": "food", "egg": "food ingredient", "cake": "food dish bake",
    "sandwich": "food", "pizza": "food dish bake", "tomato": "food veg ingredient",
    "potato": "food veg ingredient", "onion": "food veg ingredient",
    "carrot": "food veg ingredient", "lemon": "food ingredient", "orange": "food",
    "bread": "food mass dish bake", "cheese": "food mass", "rice": "food mass dish ingredient",
    "meat": "food mass dish", "fish": "food mass dish", "soup": "food mass dish stir",
    "chocolate": "food mass ingredient", "sugar": "mass ingredient",
    "salt": "mass ingredient", "flour": "mass ingredient", "butter": "mass ingredient",
    "salad": "food mass dish", "sauce": "mass liquid stir", "oil": "mass liquid ingredient",
    "coffee": "drink mass", "tea": "drink mass", "water": "drink mass liquid",
    "milk": "drink mass liquid ingredient", "juice": "drink mass", "wine": "drink mass",
    "beer": "drink mass",
    # events and vehicles
    "meeting": "event", "concert": "event watch", "film": "event watch", "match": "event watch",
    "class": "event", "party": "event", "exam": "event", "conference": "event",
    "festival": "event", "play": "event watch", "series": "watch",
    "train": "vehicle", "bus": "vehicle", "boat": "vehicle",
    # activities
    "football": "sport", "tennis": "sport", "basketball": "sport", "chess": "sport",
    "volleyball": "sport", "golf": "sport",
    "piano": "instrument", "guitar": "instrument", "violin": "instrument",
    "drums": "instrument", "flute": "instrument", "trumpet": "instrument",
    "english": "lang", "german": "lang", "spanish": "lang", "french": "lang",
    "portuguese": "lang", "italian": "lang", "japanese": "lang", "chinese": "lang",
    "math": "subject", "history": "subject", "music": "subject", "biology": "subject",
    "physics": "subject", "chemistry": "subject", "medicine": "subject",
    "economics": "subject", "law": "subject", "art": "subject",
    # places
    "station": "place building wait work", "airport": "place building wait work",
    "market": "place shop work", "supermarket": "place building shop work",
    "museum": "place building visit work leisure", "library": "place building read work leisure",
    "school": "place building work", "hospital": "place building work",
    "park": "place read eat sport leisure nature", "beach": "place sport leisure swim nature",
    "cinema": "place building leisure watchplace", "theater": "place building leisure work",
    "restaurant": "place building eat work", "cafe": "place building eat read",
    "office": "place building work", "bank": "place building work",
    "pharmacy": "place building shop work", "church": "place building visit",
    "hotel": "place building work sleep eat", "university": "place building work study",
    "stadium": "place building sport watchplace leisure", "bakery": "place building shop work",
    "garden": "place read eat nature", "kitchen": "place eat cook",
    "post_office": "place building work", "zoo": "place visit leisure nature",
    "swimming_pool": "place building swim leisure", "gym": "place building sport",
    "bookshop": "place building shop", "city_center": "place leisure",
    "factory": "place building work", "shop": "place building shop work",
    # instructions (How2-like videos)
    "cup": "unit", "spoon": "unit tool", "gram": "unit", "pinch": "unit",
    "glass": "unit container",
    "bowl": "container cover", "pan": "container cover heat", "pot": "container cover heat",
    "oven": "oven", "fridge": "oven", "plate": "dish_ware", "knife": "tool", "brush": "tool",
    "lid": "lid", "plant": "garden_obj", "flower": "garden_obj", "seed": "garden_obj",
    "tree": "garden_obj", "flowerpot": "pot_place", "wall": "paint", "fence": "paint",
    "piece": "result_noun", "minute": "time_unit", "hour": "time_unit", "day": "time_unit",
    "week": "time_unit", "year": "time_unit", "euro": "money", "dollar": "money",
    "degree": "temp_unit",
}  # fmt: skip

NAMES: dict[str, str] = {
    "Anna": "f", "Maria": "f", "Laura": "f", "Sofia": "f", "Emma": "f", "Julia": "f",
    "Clara": "f", "Lucia": "f", "Elena": "f", "Paula": "f", "Sara": "f", "Nina": "f",
    "Peter": "m", "Thomas": "m", "David": "m", "Lucas": "m", "Daniel": "m", "Paul": "m",
    "Martin": "m", "Hugo": "m", "Leo": "m", "Marco": "m", "Felix": "m", "Oscar": "m",
}  # fmt: skip

CITIES = (
    "berlin", "paris", "madrid", "lisbon", "london", "rome", "vienna", "munich", "barcelona",
    "hamburg", "tokyo", "brussels", "amsterdam", "milan", "geneva", "prague", "athens",
    "new_york",
)  # fmt: skip
COUNTRIES = (
    "germany", "france", "spain", "portugal", "italy", "brazil", "japan", "canada", "mexico",
    "switzerland",
)  # fmt: skip

# Adjectives: id -> (nouns it may modify, subjects it may describe, copula class).
# The copula class picks Spanish/Portuguese ser (permanent) or estar (state).
ADJECTIVES: dict[str, tuple[str, str, str]] = {
    "new": ("goods building", "goods building", "ser"),
    "old": ("goods building person", "goods building person", "ser"),
    "young": ("person", "person", "ser"),
    "big": ("goods building animal", "goods building animal", "ser"),
    "small": ("goods building animal", "goods building animal", "ser"),
    "cheap": ("goods", "goods", "ser"),
    "expensive": ("goods", "goods", "ser"),
    "beautiful": ("goods building", "goods building", "ser"),
    "interesting": ("read watch event", "read watch event", "ser"),
    "boring": ("read watch event", "read watch event", "ser"),
    "long": ("read watch event", "read watch event", "ser"),
    "short": ("read watch event", "read watch event", "ser"),
    "good": ("read watch event", "read watch event", "ser"),
    "bad": ("read watch event", "read watch event", "ser"),
    "famous": ("person building", "person building", "ser"),
    "modern": ("building goods", "building goods", "ser"),
    "quiet": ("building", "building", "ser"),
    "noisy": ("building", "building", "ser"),
    "clean": ("building", "building goods", "estar"),
    "dirty": ("building", "building goods", "estar"),
    "empty": ("", "building open", "estar"),
    "full": ("", "building open", "estar"),
    "heavy": ("goods", "goods", "ser"),
    "easy": ("event", "event", "ser"),
    "difficult": ("event", "event", "ser"),
    "important": ("event read", "event read", "ser"),
    "tired": ("", "person", "estar"),
    "happy": ("", "person", "estar"),
    "busy": ("", "person", "estar"),
    "sick": ("", "person", "estar"),
    "ready": ("", "person", "estar"),
    "delicious": ("food", "food", "estar"),
    "hot": ("drink food", "drink food", "estar"),
    "cold": ("drink food", "drink food", "estar"),
    "fresh": ("food", "", "ser"),
    "sharp": ("tool", "", "ser"),
    "red": ("goods", "goods", "ser"),
    "blue": ("goods", "goods", "ser"),
    "green": ("goods", "goods", "ser"),
    "black": ("goods", "goods", "ser"),
    "white": ("goods", "goods", "ser"),
    "yellow": ("goods", "goods", "ser"),
    "gray": ("goods", "goods", "ser"),
    "brown": ("goods", "goods", "ser"),
}

# Time words: id -> tenses they combine with ("pres" here means habitual present).
TIMES: dict[str, str] = {
    "today": "pres past fut", "tomorrow": "fut", "yesterday": "past",
    "this_morning": "past fut", "tonight": "fut", "last_night": "past",
    "tomorrow_morning": "fut", "next_week": "fut", "last_week": "past",
    "next_month": "fut", "last_month": "past", "next_year": "fut", "last_year": "past",
    "every_day": "pres", "every_morning": "pres", "every_week": "pres",
    "in_the_morning": "pres", "in_the_evening": "pres", "at_night": "pres",
    "on_the_weekend": "pres fut", "in_summer": "pres", "in_winter": "pres",
    "in_spring": "pres", "in_autumn": "pres", "now": "pres", "soon": "fut",
}  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
TIME_UNITS = ("day", "week", "year")  # for "N days ago" / "in N days"

FREQUENCIES = ("often", "always", "usually", "sometimes")
TRANSPORTS = ("train", "bus", "car", "bike", "plane", "foot")
WEATHER = ("rain", "snow", "cold", "hot", "sunny", "windy")
RESULTS = ("small_pieces", "thin_slices", "in_half")
SEQUENCERS = ("first", "then", "now", "finally")
EMBEDDERS = ("think", "say", "know")


@dataclass(frozen=True)
class VerbSpec:
    """What a verb combines with.

    ``obj``: tags of possible objects (empty: intransitive); ``role``: how it takes a place
    (``loc`` where it happens, ``dir`` where to, ``arr`` where one arrives, ``source``);
    ``places``: place tags; ``cities``: cities/countries are places too; ``subj``: subject
    tags; ``tenses``: allowed tenses; ``neg``: may be negated; ``transport``: by train...
    """

    obj: str = ""
    role: str = ""
    places: str = ""
    cities: bool = False
    subj: str = "person"
    tenses: str = "pres past fut"
    neg: bool = True
    transport: bool = False


VERBS: dict[str, VerbSpec] = {
    "buy": VerbSpec(obj="goods food drink", role="loc", places="shop"),
    "sell": VerbSpec(obj="goods", role="loc", places="shop"),
    "eat": VerbSpec(obj="food", role="loc", places="eat"),
    "drink": VerbSpec(obj="drink", role="loc", places="eat"),
    "cook": VerbSpec(obj="dish", role="loc", places="cook"),
    "read": VerbSpec(obj="read", role="loc", places="read"),
    "write": VerbSpec(obj="write", role="loc", places="work read"),
    "open": VerbSpec(obj="open"),
    "close": VerbSpec(obj="open"),
    "clean": VerbSpec(obj="clean"),
    "find": VerbSpec(obj="lose", role="loc", places="building"),
    "lose": VerbSpec(obj="lose", role="loc", places="building leisure"),
    "send": VerbSpec(obj="send"),
    "repair": VerbSpec(obj="repair"),
    "watch": VerbSpec(obj="watch", role="loc", places="watchplace"),
    "visit": VerbSpec(obj="person visit city"),
    "call": VerbSpec(obj="person"),
    "help": VerbSpec(obj="person"),
    "wait_for": VerbSpec(obj="person vehicle", role="loc", places="wait", neg=False),
    "bring": VerbSpec(obj="small food"),
    "order": VerbSpec(obj="food drink", role="loc", places="eat"),
    "pay": VerbSpec(obj="pay"),
    "want": VerbSpec(obj="goods", tenses="pres past"),
    "see": VerbSpec(obj="person animal", role="loc", places="leisure"),
    "play_sport": VerbSpec(obj="sport", role="loc", places="sport"),
    "play_instrument": VerbSpec(obj="instrument"),
    "learn": VerbSpec(obj="lang"),
    "study": VerbSpec(obj="subject lang", role="loc", places="study"),
    "speak": VerbSpec(obj="lang", tenses="pres"),
    "go": VerbSpec(role="dir", places="leisure shop work", cities=True, transport=True),
    "travel": VerbSpec(role="dir", cities=True, transport=True),
    "come_back": VerbSpec(role="dir", places="home", cities=True),
    "arrive": VerbSpec(role="arr", places="wait building", cities=True),
    "work": VerbSpec(role="loc", places="work", cities=True),
    "live": VerbSpec(role="loc", places="home", cities=True),
    "sleep": VerbSpec(role="loc", places="sleep home"),
    "swim": VerbSpec(role="loc", places="swim"),
    "stay": VerbSpec(role="loc", places="home sleep", cities=True),
    "start": VerbSpec(subj="event"),
    "end": VerbSpec(subj="event"),
    "leave": VerbSpec(subj="vehicle"),
}

# Instruction verbs (How2-like videos): id -> (object tags, extra slot).
INSTRUCTIONS: dict[str, tuple[str, str]] = {
    "add": ("ingredient", "dest"),
    "cut": ("veg", "result"),
    "mix": ("ingredient", "instr"),
    "put": ("bake dish", "oven"),
    "pour": ("liquid", "dest"),
    "heat": ("liquid", "duration"),
    "bake": ("bake", "bake"),
    "boil": ("veg", "duration"),
    "wash": ("veg", ""),
    "stir": ("stir", "duration"),
    "peel": ("veg", "instr"),
    "paint": ("paint", "instr"),
    "water": ("garden_obj", ""),
    "plant": ("garden_obj", "plant_place"),
    "take_out": ("bake dish", "source"),
    "use": ("tool", ""),
    "cover": ("cover", "lid"),
}

# Which measures fit which ingredient ("a pinch of salt", "two glasses of milk").
UNITS: dict[str, tuple[str, ...]] = {
    "salt": ("pinch", "spoon", "gram"), "sugar": ("spoon", "cup", "gram", "pinch"),
    "flour": ("cup", "gram", "spoon"), "butter": ("gram", "spoon"), "milk": ("cup", "glass"),
    "oil": ("spoon",), "rice": ("cup", "gram"), "chocolate": ("gram",),
}  # fmt: skip

# Nouns whose lexicon entry must exist although no tag query reaches them.
EXTRA = ("home",)


_TAGS = {n: frozenset(t.split()) for n, t in NOUNS.items()}


@cache
def nouns_with(*tags: str) -> tuple[str, ...]:
    """Noun ids carrying any of ``tags`` (sorted, so sampling is reproducible)."""
    wanted = set(tags)
    return tuple(sorted(n for n, t in _TAGS.items() if wanted & t))


def has_tag(noun: str, tag: str) -> bool:
    return tag in _TAGS.get(noun, ())


@cache
def adjectives_for(noun: str) -> tuple[str, ...]:
    """Adjectives that may modify ``noun`` (a place only by its building-ness)."""
    tags = _TAGS[noun]
    if "place" in tags:  # a place's activity tags ("read": one reads there) are no kinds
        tags = tags & {"building"}
    return tuple(a for a, (attr, _, _) in ADJECTIVES.items() if tags & set(attr.split()))
