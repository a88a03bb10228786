"""Spanish lexicon (European vocabulary).

Nouns: (singular, gender[, plural]); the default plural adds -s after a vowel, -es otherwise.
Adjectives: the masculine singular when it ends in -o (regular), else (ms, fs, mp, fp).
Verbs: ``inf``; ``stem`` (ie/ue/i: stem vowel change in the present); ``pres``/``past``
(tables 1sg 2sg 3sg 1pl 3pl; ``past`` is the preterite, or the imperfect where English
"had/wanted/was" means a state); ``refl`` (pronominal verb); ``prep`` (before the object);
``det`` (article used where English has none: "juega al fútbol"); ``imp`` (usted imperative).
"""

NOUNS = {
    "mother": ("madre", "f"), "father": ("padre", "m"), "sister": ("hermana", "f"),
    "brother": ("hermano", "m"), "son": ("hijo", "m"), "daughter": ("hija", "f"),
    "grandmother": ("abuela", "f"), "grandfather": ("abuelo", "m"), "aunt": ("tía", "f"),
    "uncle": ("tío", "m"), "wife": ("esposa", "f"), "husband": ("marido", "m"),
    "friend": ("amigo", "m"), "girlfriend": ("novia", "f"), "boyfriend": ("novio", "m"),
    "neighbor": ("vecino", "m"), "teacher": ("profesor", "m"), "doctor": ("médico", "m"),
    "boss": ("jefe", "m"), "colleague": ("colega", "m"), "student": ("estudiante", "m"),
    "child": ("niño", "m"), "man": ("hombre", "m"), "woman": ("mujer", "f"),
    "boy": ("chico", "m"), "girl": ("chica", "f"), "waiter": ("camarero", "m"),
    "actor": ("actor", "m"), "actress": ("actriz", "f", "actrices"),
    "singer": ("cantante", "m"), "tourist": ("turista", "m"), "lawyer": ("abogado", "m"),
    "engineer": ("ingeniero", "m"), "journalist": ("periodista", "m"),
    "person": ("persona", "f"), "parents": ("padre", "m"),
    "dog": ("perro", "m"), "cat": ("gato", "m"), "horse": ("caballo", "m"),
    "bird": ("pájaro", "m"), "rabbit": ("conejo", "m"),
    "book": ("libro", "m"), "car": ("coche", "m"), "bicycle": ("bicicleta", "f"),
    "phone": ("teléfono", "m"), "computer": ("ordenador", "m"), "bag": ("bolso", "m"),
    "umbrella": ("paraguas", "m", "paraguas"), "shirt": ("camisa", "f"),
    "jacket": ("chaqueta", "f"), "shoe": ("zapato", "m"), "watch": ("reloj", "m"),
    "camera": ("cámara", "f"), "lamp": ("lámpara", "f"), "table": ("mesa", "f"),
    "chair": ("silla", "f"), "ticket": ("billete", "m"), "present": ("regalo", "m"),
    "map": ("mapa", "m"), "key": ("llave", "f"), "wallet": ("cartera", "f"),
    "ball": ("pelota", "f"), "newspaper": ("periódico", "m"), "magazine": ("revista", "f"),
    "house": ("casa", "f"), "apartment": ("piso", "m"), "bottle": ("botella", "f"),
    "box": ("caja", "f"), "picture": ("cuadro", "m"), "dress": ("vestido", "m"),
    "hat": ("sombrero", "m"), "television": ("televisor", "m"), "sofa": ("sofá", "m"),
    "bed": ("cama", "f"), "window": ("ventana", "f"), "door": ("puerta", "f"),
    "letter": ("carta", "f"),
    "email": ("correo electrónico", "m", "correos electrónicos"),
    "report": ("informe", "m"), "article": ("artículo", "m"), "message": ("mensaje", "m"),
    "novel": ("novela", "f"), "song": ("canción", "f", "canciones"),
    "package": ("paquete", "m"), "postcard": ("postal", "f"), "passport": ("pasaporte", "m"),
    "bill": ("factura", "f"),
    "apple": ("manzana", "f"), "banana": ("plátano", "m"), "egg": ("huevo", "m"),
    "cake": ("pastel", "m"), "sandwich": ("bocadillo", "m"), "pizza": ("pizza", "f"),
    "tomato": ("tomate", "m"), "potato": ("patata", "f"), "onion": ("cebolla", "f"),
    "carrot": ("zanahoria", "f"), "lemon": ("limón", "m", "limones"),
    "orange": ("naranja", "f"), "bread": ("pan", "m"), "cheese": ("queso", "m"),
    "rice": ("arroz", "m"), "meat": ("carne", "f"), "fish": ("pescado", "m"),
    "soup": ("sopa", "f"), "chocolate": ("chocolate", "m"), "sugar": ("azúcar", "m"),
    "salt": ("sal", "f"), "flour": ("harina", "f"), "butter": ("mantequilla", "f"),
    "salad": ("ensalada", "f"), "sauce": ("salsa", "f"), "oil": ("aceite", "m"),
    "coffee": ("café", "m"), "tea": ("té", "m"), "water": ("agua", "f"),
    "milk": ("leche", "f"), "juice": ("zumo", "m"), "wine": ("vino", "m"),
    "beer": ("cerveza", "f"),
    "meeting": ("reunión", "f", "reuniones"), "concert": ("concierto", "m"),
    "film": ("película", "f"), "match": ("partido", "m"), "class": ("clase", "f"),
    "party": ("fiesta", "f"), "exam": ("examen", "m", "exámenes"),
    "conference": ("conferencia", "f"), "festival": ("festival", "m"),
    "play": ("obra de teatro", "f", "obras de teatro"), "series": ("serie", "f"),
    "train": ("tren", "m"), "bus": ("autobús", "m", "autobuses"), "boat": ("barco", "m"),
    "football": ("fútbol", "m"), "tennis": ("tenis", "m"), "basketball": ("baloncesto", "m"),
    "chess": ("ajedrez", "m"), "volleyball": ("voleibol", "m"), "golf": ("golf", "m"),
    "piano": ("piano", "m"), "guitar": ("guitarra", "f"), "violin": ("violín", "m", "violines"),
    "drums": ("batería", "f"), "flute": ("flauta", "f"), "trumpet": ("trompeta", "f"),
    "english": ("inglés", "m"), "german": ("alemán", "m"), "spanish": ("español", "m"),
    "french": ("francés", "m"), "portuguese": ("portugués", "m"),
    "italian": ("italiano", "m"), "japanese": ("japonés", "m"), "chinese": ("chino", "m"),
    "math": ("matemáticas", "f"), "history": ("historia", "f"), "music": ("música", "f"),
    "biology": ("biología", "f"), "physics": ("física", "f"), "chemistry": ("química", "f"),
    "medicine": ("medicina", "f"), "economics": ("economía", "f"), "law": ("derecho", "m"),
    "art": ("arte", "m"),
    "station": ("estación", "f", "estaciones"), "airport": ("aeropuerto", "m"),
    "market": ("mercado", "m"), "supermarket": ("supermercado", "m"),
    "museum": ("museo", "m"), "library": ("biblioteca", "f"), "school": ("escuela", "f"),
    "hospital": ("hospital", "m"), "park": ("parque", "m"), "beach": ("playa", "f"),
    "cinema": ("cine", "m"), "theater": ("teatro", "m"), "restaurant": ("restaurante", "m"),
    "cafe": ("cafetería", "f"), "office": ("oficina", "f"), "bank": ("banco", "m"),
    "pharmacy": ("farmacia", "f"), "church": ("iglesia", "f"), "hotel": ("hotel", "m"),
    "university": ("universidad", "f"), "stadium": ("estadio", "m"),
    "bakery": ("panadería", "f"), "garden": ("jardín", "m", "jardines"),
    "kitchen": ("cocina", "f"),
    "post_office": ("oficina de correos", "f", "oficinas de correos"), "zoo": ("zoo", "m"),
    "swimming_pool": ("piscina", "f"), "gym": ("gimnasio", "m"), "bookshop": ("librería", "f"),
    "city_center": ("centro de la ciudad", "m", "centros de la ciudad"),
    "factory": ("fábrica", "f"), "shop": ("tienda", "f"),
    "cup": ("taza", "f"), "spoon": ("cuchara", "f"), "gram": ("gramo", "m"),
    "pinch": ("pizca", "f"), "glass": ("vaso", "m"), "bowl": ("bol", "m"),
    "pan": ("sartén", "f", "sartenes"), "pot": ("olla", "f"), "oven": ("horno", "m"),
    "fridge": ("nevera", "f"), "plate": ("plato", "m"), "knife": ("cuchillo", "m"),
    "brush": ("pincel", "m"), "lid": ("tapa", "f"), "plant": ("planta", "f"),
    "flower": ("flor", "f"), "seed": ("semilla", "f"), "tree": ("árbol", "m"),
    "flowerpot": ("maceta", "f"), "wall": ("pared", "f"), "fence": ("valla", "f"),
    "piece": ("trozo", "m"), "minute": ("minuto", "m"), "hour": ("hora", "f"),
    "day": ("día", "m"), "week": ("semana", "f"), "year": ("año", "m"),
    "euro": ("euro", "m"), "dollar": ("dólar", "m"), "degree": ("grado", "m"),
}  # fmt: skip
# Feminine nouns with a stressed first a take "el"/"un" in the singular.
EL_FEMININE = {"water"}

HOME = {"loc": "en casa", "dir": "a casa", "arr": "a casa"}
PREPS = {"loc": "en", "dir": "a", "arr": "a"}  # for places and cities
CITIES = {
    "berlin": "Berlín", "paris": "París", "madrid": "Madrid", "lisbon": "Lisboa",
    "london": "Londres", "rome": "Roma", "vienna": "Viena", "munich": "Múnich",
    "barcelona": "Barcelona", "hamburg": "Hamburgo", "tokyo": "Tokio", "brussels": "Bruselas",
    "amsterdam": "Ámsterdam", "milan": "Milán", "geneva": "Ginebra", "prague": "Praga",
    "athens": "Atenas", "new_york": "Nueva York",
}  # fmt: skip
_COUNTRY_NAMES = {
    "germany": "Alemania", "france": "Francia", "spain": "España", "portugal": "Portugal",
    "italy": "Italia", "brazil": "Brasil", "japan": "Japón", "canada": "Canadá",
    "mexico": "México", "switzerland": "Suiza",
}  # fmt: skip
COUNTRIES = {c: {"loc": f"en {n}", "dir": f"a {n}", "arr": f"a {n}"}
             for c, n in _COUNTRY_NAMES.items()}  # fmt: skip
DEST_PREP = "a"  # "el tren a Berlín"

ADJECTIVES = {
    "new": "nuevo", "old": "viejo", "young": ("joven", "joven", "jóvenes", "jóvenes"),
    "big": ("grande", "grande", "grandes", "grandes"), "small": "pequeño", "cheap": "barato",
    "expensive": "caro", "beautiful": "bonito",
    "interesting": ("interesante", "interesante", "interesantes", "interesantes"),
    "boring": "aburrido", "long": "largo", "short": "corto", "good": "bueno", "bad": "malo",
    "famous": "famoso", "modern": "moderno", "quiet": "tranquilo", "noisy": "ruidoso",
    "clean": "limpio", "dirty": "sucio", "empty": "vacío", "full": "lleno",
    "heavy": "pesado", "easy": ("fácil", "fácil", "fáciles", "fáciles"),
    "difficult": ("difícil", "difícil", "difíciles", "difíciles"),
    "important": ("importante", "importante", "importantes", "importantes"),
    "tired": "cansado", "happy": "contento", "busy": "ocupado", "sick": "enfermo",
    "ready": "listo", "delicious": "delicioso",
    "hot": ("caliente", "caliente", "calientes", "calientes"), "cold": "frío",
    "fresh": "fresco", "sharp": "afilado", "red": "rojo",
    "blue": ("azul", "azul", "azules", "azules"), "green": ("verde", "verde", "verdes", "verdes"),
    "black": "negro", "white": "blanco", "yellow": "amarillo",
    "gray": ("gris", "gris", "grises", "grises"),
    "brown": ("marrón", "marrón", "marrones", "marrones"),
}  # fmt: skip

VERBS = {
    "buy": {"inf": "comprar"}, "sell": {"inf": "vender"}, "eat": {"inf": "comer"},
    "drink": {"inf": "beber"}, "cook": {"inf": "cocinar"},
    "read": {"inf": "leer", "past": ("leí", "leíste", "leyó", "leímos", "leyeron")},
    "write": {"inf": "escribir"}, "open": {"inf": "abrir"},
    "close": {"inf": "cerrar", "stem": "ie"}, "clean": {"inf": "limpiar"},
    "find": {"inf": "encontrar", "stem": "ue"}, "lose": {"inf": "perder", "stem": "ie"},
    "send": {"inf": "enviar", "pres": ("envío", "envías", "envía", "enviamos", "envían")},
    "repair": {"inf": "arreglar"},
    "watch": {"inf": "ver", "pres": ("veo", "ves", "ve", "vemos", "ven"),
              "past": ("vi", "viste", "vio", "vimos", "vieron")},
    "visit": {"inf": "visitar"}, "call": {"inf": "llamar"}, "help": {"inf": "ayudar"},
    "wait_for": {"inf": "esperar"},
    "bring": {"inf": "traer", "pres": ("traigo", "traes", "trae", "traemos", "traen"),
              "past": ("traje", "trajiste", "trajo", "trajimos", "trajeron")},
    "order": {"inf": "pedir", "pres": ("pido", "pides", "pide", "pedimos", "piden"),
              "past": ("pedí", "pediste", "pidió", "pedimos", "pidieron")},
    "pay": {"inf": "pagar"},
    "want": {"inf": "querer", "stem": "ie",
             "past": ("quería", "querías", "quería", "queríamos", "querían")},
    "see": {"inf": "ver", "pres": ("veo", "ves", "ve", "vemos", "ven"),
            "past": ("vi", "viste", "vio", "vimos", "vieron")},
    "play_sport": {"inf": "jugar", "pres": ("juego", "juegas", "juega", "jugamos", "juegan"),
                   "prep": "a", "det": "def"},
    "play_instrument": {"inf": "tocar", "det": "def"}, "learn": {"inf": "aprender"},
    "study": {"inf": "estudiar"}, "speak": {"inf": "hablar"},
    "go": {"inf": "ir", "pres": ("voy", "vas", "va", "vamos", "van"),
           "past": ("fui", "fuiste", "fue", "fuimos", "fueron")},
    "travel": {"inf": "viajar"}, "come_back": {"inf": "volver", "stem": "ue"},
    "arrive": {"inf": "llegar"}, "work": {"inf": "trabajar"}, "live": {"inf": "vivir"},
    "sleep": {"inf": "dormir", "stem": "ue",
              "past": ("dormí", "dormiste", "durmió", "dormimos", "durmieron")},
    "swim": {"inf": "nadar"}, "stay": {"inf": "quedar", "refl": True},
    "start": {"inf": "empezar", "stem": "ie"}, "end": {"inf": "terminar"},
    "leave": {"inf": "salir", "pres": ("salgo", "sales", "sale", "salimos", "salen")},
    "have": {"inf": "tener", "pres": ("tengo", "tienes", "tiene", "tenemos", "tienen"),
             "past": ("tenía", "tenías", "tenía", "teníamos", "tenían")},
    "like": {"inf": "gustar"}, "cost": {"inf": "costar", "stem": "ue"},
    "think": {"inf": "creer"},
    "say": {"inf": "decir", "pres": ("digo", "dices", "dice", "decimos", "dicen")},
    "know": {"inf": "saber", "pres": ("sé", "sabes", "sabe", "sabemos", "saben")},
    "ser": {"inf": "ser", "pres": ("soy", "eres", "es", "somos", "son"),
            "past": ("era", "eras", "era", "éramos", "eran")},
    "estar": {"inf": "estar", "pres": ("estoy", "estás", "está", "estamos", "están"),
              "past": ("estaba", "estabas", "estaba", "estábamos", "estaban")},
    "add": {"imp": "añada"}, "cut": {"imp": "corte"}, "mix": {"imp": "mezcle"},
    "put": {"imp": "ponga"}, "pour": {"imp": "vierta"}, "heat": {"imp": "caliente"},
    "bake": {"imp": "hornee"}, "boil": {"imp": "hierva"}, "wash": {"imp": "lave"},
    "stir": {"imp": "remueva"}, "peel": {"imp": "pele"}, "paint": {"imp": "pinte"},
    "water": {"imp": "riegue"}, "plant": {"imp": "plante"}, "take_out": {"imp": "saque"},
    "use": {"imp": "use"}, "cover": {"imp": "tape"},
}  # fmt: skip
FUTURE_AUX = "go"  # ir: "va a comprar"

PRONOUNS = {"1sg": "yo", "2sg": "tú", "3sg.m": "él", "3sg.f": "ella", "1pl": "nosotros",
            "3pl": "ellos"}  # fmt: skip
DROPPED_PRONOUNS = {"1sg", "2sg", "1pl", "3pl"}  # the verb ending says who
REFLEXIVES = {"1sg": "me", "2sg": "te", "3sg": "se", "1pl": "nos", "3pl": "se"}
DATIVES = {"1sg": "me", "2sg": "te", "3sg": "le", "1pl": "nos", "3pl": "les"}
POSSESSIVES = {"1sg": "mi", "2sg": "tu", "3sg.m": "su", "3sg.f": "su", "1pl": "nuestro",
               "3pl": "su"}  # fmt: skip
EXIST = {"pres": "hay", "past": "había", "fut": "va a haber"}

TIMES = {
    "today": "hoy", "tomorrow": "mañana", "yesterday": "ayer", "this_morning": "esta mañana",
    "tonight": "esta noche", "last_night": "anoche",
    "tomorrow_morning": "mañana por la mañana", "next_week": "la próxima semana",
    "last_week": "la semana pasada", "next_month": "el próximo mes",
    "last_month": "el mes pasado", "next_year": "el próximo año",
    "last_year": "el año pasado", "every_day": "todos los días",
    "every_morning": "todas las mañanas", "every_week": "todas las semanas",
    "in_the_morning": "por la mañana", "in_the_evening": "por la tarde",
    "at_night": "por la noche", "on_the_weekend": "el fin de semana",
    "in_summer": "en verano", "in_winter": "en invierno", "in_spring": "en primavera",
    "in_autumn": "en otoño", "now": "ahora", "soon": "pronto",
}  # fmt: skip
WEEKDAYS = {  # (on Monday, on Mondays)
    "monday": ("el lunes", "los lunes"), "tuesday": ("el martes", "los martes"),
    "wednesday": ("el miércoles", "los miércoles"), "thursday": ("el jueves", "los jueves"),
    "friday": ("el viernes", "los viernes"), "saturday": ("el sábado", "los sábados"),
    "sunday": ("el domingo", "los domingos"),
}  # fmt: skip
MONTHS = {
    "january": "enero", "february": "febrero", "march": "marzo", "april": "abril",
    "may": "mayo", "june": "junio", "july": "julio", "august": "agosto",
    "september": "septiembre", "october": "octubre", "november": "noviembre",
    "december": "diciembre",
}  # fmt: skip
IN_MONTH = "en"
AGO = ("hace", "")  # "hace dos días"
IN_N = ("dentro de", "")

FREQUENCIES = {"often": "a menudo", "always": "siempre", "usually": "normalmente",
               "sometimes": "a veces"}  # fmt: skip
TRANSPORTS = {"train": "en tren", "bus": "en autobús", "car": "en coche",
              "bike": "en bicicleta", "plane": "en avión", "foot": "a pie"}  # fmt: skip
WEATHER = {
    "rain": {"pres": "está lloviendo", "past": "llovió", "fut": "va a llover", "if": "llueve"},
    "snow": {"pres": "está nevando", "past": "nevó", "fut": "va a nevar", "if": "nieva"},
    "cold": {"pres": "hace frío", "past": "hizo frío", "fut": "va a hacer frío",
             "if": "hace frío"},
    "hot": {"pres": "hace calor", "past": "hizo calor", "fut": "va a hacer calor",
            "if": "hace calor"},
    "sunny": {"pres": "hace sol", "past": "hizo sol", "fut": "va a hacer sol",
              "if": "hace sol"},
    "windy": {"pres": "hace viento", "past": "hizo viento", "fut": "va a hacer viento",
              "if": "hace viento"},
}  # fmt: skip
RESULTS = {"small_pieces": "en trozos pequeños", "thin_slices": "en rodajas finas",
           "in_half": "por la mitad"}  # fmt: skip
SEQUENCERS = {"first": "Primero,", "then": "Luego", "now": "Ahora", "finally": "Por último,"}
LINKS = {"and": "y", "but": ", pero", "because": "porque", "if": "Si", "that": "que"}
WH = {"loc": "dónde", "dir": "adónde", "arr": "dónde", "when": "cuándo"}
VERY = "muy"
# Instructions and the How2-style "you" (usted).
INSTR = {"dest": "en", "source": "de", "instr": "con", "temp": "a", "duration": "durante"}
NEED = ("necesitará",)
NEED_PREP = None
TAKE_TIME = ("esto", "tarda", {"m": "unos", "f": "unas"})
