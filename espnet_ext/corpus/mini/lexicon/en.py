"""English lexicon (American spelling, as in TED transcripts)."""

# Nouns: singular, or (singular, plural) when the plural is not singular + s.
NOUNS = {
    "mother": "mother", "father": "father", "sister": "sister", "brother": "brother",
    "son": "son", "daughter": "daughter", "grandmother": "grandmother",
    "grandfather": "grandfather", "aunt": "aunt", "uncle": "uncle", "wife": ("wife", "wives"),
    "husband": "husband", "friend": "friend", "girlfriend": "girlfriend",
    "boyfriend": "boyfriend", "neighbor": "neighbor", "teacher": "teacher", "doctor": "doctor",
    "boss": ("boss", "bosses"), "colleague": "colleague", "student": "student",
    "child": ("child", "children"), "man": ("man", "men"), "woman": ("woman", "women"),
    "boy": "boy", "girl": "girl", "waiter": "waiter", "actor": "actor",
    "actress": ("actress", "actresses"), "singer": "singer", "tourist": "tourist",
    "lawyer": "lawyer", "engineer": "engineer", "journalist": "journalist",
    "person": ("person", "people"), "parents": ("parent", "parents"),
    "dog": "dog", "cat": "cat", "horse": "horse", "bird": "bird", "rabbit": "rabbit",
    "book": "book", "car": "car", "bicycle": "bicycle", "phone": "phone",
    "computer": "computer", "bag": "bag", "umbrella": "umbrella", "shirt": "shirt",
    "jacket": "jacket", "shoe": "shoe", "watch": ("watch", "watches"), "camera": "camera",
    "lamp": "lamp", "table": "table", "chair": "chair", "ticket": "ticket",
    "present": "present", "map": "map", "key": "key", "wallet": "wallet", "ball": "ball",
    "newspaper": "newspaper", "magazine": "magazine", "house": "house",
    "apartment": "apartment", "bottle": "bottle", "box": ("box", "boxes"),
    "picture": "picture", "dress": ("dress", "dresses"), "hat": "hat",
    "television": "television", "sofa": "sofa", "bed": "bed", "window": "window",
    "door": "door", "letter": "letter", "email": "email", "report": "report",
    "article": "article", "message": "message", "novel": "novel", "song": "song",
    "package": "package", "postcard": "postcard", "passport": "passport", "bill": "bill",
    "apple": "apple", "banana": "banana", "egg": "egg", "cake": "cake",
    "sandwich": ("sandwich", "sandwiches"), "pizza": "pizza",
    "tomato": ("tomato", "tomatoes"), "potato": ("potato", "potatoes"), "onion": "onion",
    "carrot": "carrot", "lemon": "lemon", "orange": "orange", "bread": "bread",
    "cheese": "cheese", "rice": "rice", "meat": "meat", "fish": "fish", "soup": "soup",
    "chocolate": "chocolate", "sugar": "sugar", "salt": "salt", "flour": "flour",
    "butter": "butter", "salad": "salad", "sauce": "sauce", "oil": "oil", "coffee": "coffee",
    "tea": "tea", "water": "water", "milk": "milk", "juice": "juice", "wine": "wine",
    "beer": "beer",
    "meeting": "meeting", "concert": "concert", "film": "movie", "match": ("game", "games"),
    "class": ("class", "classes"), "party": ("party", "parties"), "exam": "exam",
    "conference": "conference", "festival": "festival", "play": "play",
    "series": ("series", "series"), "train": "train", "bus": ("bus", "buses"), "boat": "boat",
    "football": "soccer", "tennis": "tennis", "basketball": "basketball", "chess": "chess",
    "volleyball": "volleyball", "golf": "golf", "piano": "piano", "guitar": "guitar",
    "violin": "violin", "drums": ("drum", "drums"), "flute": "flute", "trumpet": "trumpet",
    "english": "English", "german": "German", "spanish": "Spanish", "french": "French",
    "portuguese": "Portuguese", "italian": "Italian", "japanese": "Japanese",
    "chinese": "Chinese", "math": "math", "history": "history", "music": "music",
    "biology": "biology", "physics": "physics", "chemistry": "chemistry",
    "medicine": "medicine", "economics": "economics", "law": "law", "art": "art",
    "station": "station", "airport": "airport", "market": "market",
    "supermarket": "supermarket", "museum": "museum", "library": ("library", "libraries"),
    "school": "school", "hospital": "hospital", "park": "park", "beach": ("beach", "beaches"),
    "cinema": "movie theater", "theater": "theater", "restaurant": "restaurant", "cafe": "cafe",
    "office": "office", "bank": "bank", "pharmacy": ("pharmacy", "pharmacies"),
    "church": ("church", "churches"), "hotel": "hotel",
    "university": ("university", "universities"), "stadium": "stadium",
    "bakery": ("bakery", "bakeries"), "garden": "garden", "kitchen": "kitchen",
    "post_office": "post office", "zoo": "zoo", "swimming_pool": "swimming pool", "gym": "gym",
    "bookshop": "bookstore", "city_center": "city center", "factory": ("factory", "factories"),
    "shop": "store",
    "cup": "cup", "spoon": "spoon", "gram": "gram", "pinch": ("pinch", "pinches"),
    "glass": ("glass", "glasses"), "bowl": "bowl", "pan": "pan", "pot": "pot", "oven": "oven",
    "fridge": "fridge", "plate": "plate", "knife": ("knife", "knives"),
    "brush": ("brush", "brushes"), "lid": "lid", "plant": "plant", "flower": "flower",
    "seed": "seed", "tree": "tree", "flowerpot": "flowerpot", "wall": "wall", "fence": "fence",
    "piece": "piece", "minute": "minute", "hour": "hour", "day": "day", "week": "week",
    "year": "year", "euro": "euro", "dollar": "dollar", "degree": "degree",
}  # fmt: skip

# "a"/"an" follows the first letter except for these words.
AN_EXCEPTIONS = {"university": "a", "hour": "an", "one": "a", "European": "a"}

PLACE_PREP = {  # locative preposition ("at the station", "in the park")
    "station": "at", "airport": "at", "market": "at", "supermarket": "at", "museum": "at",
    "library": "at", "school": "at", "hospital": "at", "park": "in", "beach": "at",
    "cinema": "at", "theater": "at", "restaurant": "at", "cafe": "at", "office": "at",
    "bank": "at", "pharmacy": "at", "church": "at", "hotel": "at", "university": "at",
    "stadium": "at", "bakery": "at", "garden": "in", "kitchen": "in", "post_office": "at",
    "zoo": "at", "swimming_pool": "at", "gym": "at", "bookshop": "at", "city_center": "in",
    "factory": "at", "shop": "at",
}  # fmt: skip
HOME = {"loc": "at home", "dir": "home", "arr": "home"}

CITIES = {
    "berlin": "Berlin", "paris": "Paris", "madrid": "Madrid", "lisbon": "Lisbon",
    "london": "London", "rome": "Rome", "vienna": "Vienna", "munich": "Munich",
    "barcelona": "Barcelona", "hamburg": "Hamburg", "tokyo": "Tokyo", "brussels": "Brussels",
    "amsterdam": "Amsterdam", "milan": "Milan", "geneva": "Geneva", "prague": "Prague",
    "athens": "Athens", "new_york": "New York",
}  # fmt: skip
COUNTRIES = {
    "germany": "Germany", "france": "France", "spain": "Spain", "portugal": "Portugal",
    "italy": "Italy", "brazil": "Brazil", "japan": "Japan", "canada": "Canada",
    "mexico": "Mexico", "switzerland": "Switzerland",
}  # fmt: skip

ADJECTIVES = {
    "new": "new", "old": "old", "young": "young", "big": "big", "small": "small",
    "cheap": "cheap", "expensive": "expensive", "beautiful": "beautiful",
    "interesting": "interesting", "boring": "boring", "long": "long", "short": "short",
    "good": "good", "bad": "bad", "famous": "famous", "modern": "modern", "quiet": "quiet",
    "noisy": "noisy", "clean": "clean", "dirty": "dirty", "empty": "empty", "full": "full",
    "heavy": "heavy", "easy": "easy", "difficult": "difficult", "important": "important",
    "tired": "tired", "happy": "happy", "busy": "busy", "sick": "sick", "ready": "ready",
    "delicious": "delicious", "hot": "hot", "cold": "cold", "fresh": "fresh", "sharp": "sharp",
    "red": "red", "blue": "blue", "green": "green", "black": "black", "white": "white",
    "yellow": "yellow", "gray": "gray", "brown": "brown",
}  # fmt: skip

# Verbs: (base, third person singular, past) and an optional particle before the object.
VERBS = {
    "buy": ("buy", "buys", "bought"), "sell": ("sell", "sells", "sold"),
    "eat": ("eat", "eats", "ate"), "drink": ("drink", "drinks", "drank"),
    "cook": ("cook", "cooks", "cooked"), "read": ("read", "reads", "read"),
    "write": ("write", "writes", "wrote"), "open": ("open", "opens", "opened"),
    "close": ("close", "closes", "closed"), "clean": ("clean", "cleans", "cleaned"),
    "find": ("find", "finds", "found"), "lose": ("lose", "loses", "lost"),
    "send": ("send", "sends", "sent"), "repair": ("fix", "fixes", "fixed"),
    "watch": ("watch", "watches", "watched"), "visit": ("visit", "visits", "visited"),
    "call": ("call", "calls", "called"), "help": ("help", "helps", "helped"),
    "wait_for": ("wait", "waits", "waited", "for"), "bring": ("bring", "brings", "brought"),
    "order": ("order", "orders", "ordered"), "pay": ("pay", "pays", "paid"),
    "want": ("want", "wants", "wanted"), "see": ("see", "sees", "saw"),
    "play_sport": ("play", "plays", "played"), "play_instrument": ("play", "plays", "played"),
    "learn": ("learn", "learns", "learned"), "study": ("study", "studies", "studied"),
    "speak": ("speak", "speaks", "spoke"), "go": ("go", "goes", "went"),
    "travel": ("travel", "travels", "traveled"), "come_back": ("come", "comes", "came", "back"),
    "arrive": ("arrive", "arrives", "arrived"), "work": ("work", "works", "worked"),
    "live": ("live", "lives", "lived"), "sleep": ("sleep", "sleeps", "slept"),
    "swim": ("swim", "swims", "swam"), "stay": ("stay", "stays", "stayed"),
    "start": ("start", "starts", "started"), "end": ("end", "ends", "ended"),
    "leave": ("leave", "leaves", "left"), "have": ("have", "has", "had"),
    "like": ("like", "likes", "liked"), "cost": ("cost", "costs", "cost"),
    "think": ("think", "thinks", "thought"), "say": ("say", "says", "said"),
    "know": ("know", "knows", "knew"), "need": ("need", "needs", "needed"),
    "take_time": ("take", "takes", "took"),
    # instructions (imperative = base form)
    "add": ("add",), "cut": ("cut",), "mix": ("mix",), "put": ("put",), "pour": ("pour",),
    "heat": ("heat",), "bake": ("bake",), "boil": ("boil",), "wash": ("wash",),
    "stir": ("stir",), "peel": ("peel",), "paint": ("paint",), "water": ("water",),
    "plant": ("plant",), "take_out": ("take",), "use": ("use",), "cover": ("cover",),
}  # fmt: skip
# Instruction destinations: "add ... to the bowl", "put ... in the oven".
DEST_PREP = {"add": "to", "pour": "into", "put": "in", "plant": "in"}

PRONOUNS = {"1sg": "I", "2sg": "you", "3sg.m": "he", "3sg.f": "she", "1pl": "we", "3pl": "they"}
POSSESSIVES = {
    "1sg": "my", "2sg": "your", "3sg.m": "his", "3sg.f": "her", "1pl": "our", "3pl": "their",
}  # fmt: skip

TIMES = {
    "today": "today", "tomorrow": "tomorrow", "yesterday": "yesterday",
    "this_morning": "this morning", "tonight": "tonight", "last_night": "last night",
    "tomorrow_morning": "tomorrow morning", "next_week": "next week", "last_week": "last week",
    "next_month": "next month", "last_month": "last month", "next_year": "next year",
    "last_year": "last year", "every_day": "every day", "every_morning": "every morning",
    "every_week": "every week", "in_the_morning": "in the morning",
    "in_the_evening": "in the evening", "at_night": "at night",
    "on_the_weekend": "on the weekend", "in_summer": "in the summer",
    "in_winter": "in the winter", "in_spring": "in the spring", "in_autumn": "in the fall",
    "now": "now", "soon": "soon",
}  # fmt: skip
WEEKDAYS = {
    "monday": "Monday", "tuesday": "Tuesday", "wednesday": "Wednesday",
    "thursday": "Thursday", "friday": "Friday", "saturday": "Saturday", "sunday": "Sunday",
}  # fmt: skip
MONTHS = {m: m.capitalize() for m in (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december")}  # fmt: skip

FREQUENCIES = {"often": "often", "always": "always", "usually": "usually",
               "sometimes": "sometimes"}  # fmt: skip
TRANSPORTS = {"train": "by train", "bus": "by bus", "car": "by car", "bike": "by bike",
              "plane": "by plane", "foot": "on foot"}  # fmt: skip
# Weather: tense -> phrase; "if" is the form inside an if-clause.
WEATHER = {
    "rain": {"pres": "it is raining", "past": "it rained", "fut": "it will rain",
             "if": "it rains"},
    "snow": {"pres": "it is snowing", "past": "it snowed", "fut": "it will snow",
             "if": "it snows"},
    "cold": {"pres": "it is cold", "past": "it was cold", "fut": "it will be cold",
             "if": "it is cold"},
    "hot": {"pres": "it is hot", "past": "it was hot", "fut": "it will be hot",
            "if": "it is hot"},
    "sunny": {"pres": "it is sunny", "past": "it was sunny", "fut": "it will be sunny",
              "if": "it is sunny"},
    "windy": {"pres": "it is windy", "past": "it was windy", "fut": "it will be windy",
              "if": "it is windy"},
}  # fmt: skip
RESULTS = {"small_pieces": "into small pieces", "thin_slices": "into thin slices",
           "in_half": "in half"}  # fmt: skip
SEQUENCERS = {"first": "First,", "then": "Then", "now": "Now", "finally": "Finally,"}
LINKS = {"and": ", and", "but": ", but", "because": "because", "if": "If", "that": "that"}
WH = {"loc": "Where", "dir": "Where", "arr": "Where", "when": "When"}
VERY = "very"
ABOUT = "about"
