"""French lexicon.

Nouns: (singular, gender[, plural]); the default plural adds -s (nothing after s/x/z).
Adjectives: the masculine singular when regular, else (ms, fs, mp, fp[, ms before a vowel]);
``PRENOMINAL`` ones go before the noun. Verbs: ``inf``; ``pres`` (1sg 2sg 3sg 1pl 3pl) unless
a regular -er/-re verb; ``pp`` unless regular; ``aux: être``; ``past`` (imparfait, for states);
``prep``/``det``/``particle`` ("rendre visite à"); ``imp`` (vous imperative).
"""

NOUNS = {
    "mother": ("mère", "f"), "father": ("père", "m"), "sister": ("sœur", "f"),
    "brother": ("frère", "m"), "son": ("fils", "m"), "daughter": ("fille", "f"),
    "grandmother": ("grand-mère", "f", "grands-mères"),
    "grandfather": ("grand-père", "m", "grands-pères"), "aunt": ("tante", "f"),
    "uncle": ("oncle", "m"), "wife": ("femme", "f"), "husband": ("mari", "m"),
    "friend": ("ami", "m"), "girlfriend": ("copine", "f"), "boyfriend": ("copain", "m"),
    "neighbor": ("voisin", "m"), "teacher": ("professeur", "m"), "doctor": ("médecin", "m"),
    "boss": ("patron", "m"), "colleague": ("collègue", "m"), "student": ("étudiant", "m"),
    "child": ("enfant", "m"), "man": ("homme", "m"), "woman": ("femme", "f"),
    "boy": ("garçon", "m"), "girl": ("fille", "f"), "waiter": ("serveur", "m"),
    "actor": ("acteur", "m"), "actress": ("actrice", "f"), "singer": ("chanteur", "m"),
    "tourist": ("touriste", "m"), "lawyer": ("avocat", "m"), "engineer": ("ingénieur", "m"),
    "journalist": ("journaliste", "m"), "person": ("personne", "f"),
    "parents": ("parent", "m"),
    "dog": ("chien", "m"), "cat": ("chat", "m"), "horse": ("cheval", "m", "chevaux"),
    "bird": ("oiseau", "m", "oiseaux"), "rabbit": ("lapin", "m"),
    "book": ("livre", "m"), "car": ("voiture", "f"), "bicycle": ("vélo", "m"),
    "phone": ("téléphone", "m"), "computer": ("ordinateur", "m"), "bag": ("sac", "m"),
    "umbrella": ("parapluie", "m"), "shirt": ("chemise", "f"), "jacket": ("veste", "f"),
    "shoe": ("chaussure", "f"), "watch": ("montre", "f"),
    "camera": ("appareil photo", "m", "appareils photo"), "lamp": ("lampe", "f"),
    "table": ("table", "f"), "chair": ("chaise", "f"), "ticket": ("billet", "m"),
    "present": ("cadeau", "m", "cadeaux"), "map": ("carte", "f"), "key": ("clé", "f"),
    "wallet": ("portefeuille", "m"), "ball": ("ballon", "m"),
    "newspaper": ("journal", "m", "journaux"), "magazine": ("magazine", "m"),
    "house": ("maison", "f"), "apartment": ("appartement", "m"),
    "bottle": ("bouteille", "f"), "box": ("boîte", "f"),
    "picture": ("tableau", "m", "tableaux"), "dress": ("robe", "f"),
    "hat": ("chapeau", "m", "chapeaux"), "television": ("téléviseur", "m"),
    "sofa": ("canapé", "m"), "bed": ("lit", "m"), "window": ("fenêtre", "f"),
    "door": ("porte", "f"), "letter": ("lettre", "f"), "email": ("e-mail", "m"),
    "report": ("rapport", "m"), "article": ("article", "m"), "message": ("message", "m"),
    "novel": ("roman", "m"), "song": ("chanson", "f"), "package": ("colis", "m"),
    "postcard": ("carte postale", "f", "cartes postales"), "passport": ("passeport", "m"),
    "bill": ("facture", "f"),
    "apple": ("pomme", "f"), "banana": ("banane", "f"), "egg": ("œuf", "m"),
    "cake": ("gâteau", "m", "gâteaux"), "sandwich": ("sandwich", "m"),
    "pizza": ("pizza", "f"), "tomato": ("tomate", "f"),
    "potato": ("pomme de terre", "f", "pommes de terre"), "onion": ("oignon", "m"),
    "carrot": ("carotte", "f"), "lemon": ("citron", "m"), "orange": ("orange", "f"),
    "bread": ("pain", "m"), "cheese": ("fromage", "m"), "rice": ("riz", "m"),
    "meat": ("viande", "f"), "fish": ("poisson", "m"), "soup": ("soupe", "f"),
    "chocolate": ("chocolat", "m"), "sugar": ("sucre", "m"), "salt": ("sel", "m"),
    "flour": ("farine", "f"), "butter": ("beurre", "m"), "salad": ("salade", "f"),
    "sauce": ("sauce", "f"), "oil": ("huile", "f"), "coffee": ("café", "m"),
    "tea": ("thé", "m"), "water": ("eau", "f"), "milk": ("lait", "m"), "juice": ("jus", "m"),
    "wine": ("vin", "m"), "beer": ("bière", "f"),
    "meeting": ("réunion", "f"), "concert": ("concert", "m"), "film": ("film", "m"),
    "match": ("match", "m", "matchs"), "class": ("cours", "m"), "party": ("fête", "f"),
    "exam": ("examen", "m"), "conference": ("conférence", "f"),
    "festival": ("festival", "m"), "play": ("pièce de théâtre", "f", "pièces de théâtre"),
    "series": ("série", "f"), "train": ("train", "m"), "bus": ("bus", "m"),
    "boat": ("bateau", "m", "bateaux"),
    "football": ("football", "m"), "tennis": ("tennis", "m"), "basketball": ("basket", "m"),
    "chess": ("échecs", "m"), "volleyball": ("volley", "m"), "golf": ("golf", "m"),
    "piano": ("piano", "m"), "guitar": ("guitare", "f"), "violin": ("violon", "m"),
    "drums": ("batterie", "f"), "flute": ("flûte", "f"), "trumpet": ("trompette", "f"),
    "english": ("anglais", "m"), "german": ("allemand", "m"), "spanish": ("espagnol", "m"),
    "french": ("français", "m"), "portuguese": ("portugais", "m"),
    "italian": ("italien", "m"), "japanese": ("japonais", "m"), "chinese": ("chinois", "m"),
    "math": ("mathématiques", "f"), "history": ("histoire", "f"), "music": ("musique", "f"),
    "biology": ("biologie", "f"), "physics": ("physique", "f"), "chemistry": ("chimie", "f"),
    "medicine": ("médecine", "f"), "economics": ("économie", "f"), "law": ("droit", "m"),
    "art": ("art", "m"),
    "station": ("gare", "f"), "airport": ("aéroport", "m"), "market": ("marché", "m"),
    "supermarket": ("supermarché", "m"), "museum": ("musée", "m"),
    "library": ("bibliothèque", "f"), "school": ("école", "f"),
    "hospital": ("hôpital", "m", "hôpitaux"), "park": ("parc", "m"), "beach": ("plage", "f"),
    "cinema": ("cinéma", "m"), "theater": ("théâtre", "m"), "restaurant": ("restaurant", "m"),
    "cafe": ("café", "m"), "office": ("bureau", "m", "bureaux"), "bank": ("banque", "f"),
    "pharmacy": ("pharmacie", "f"), "church": ("église", "f"), "hotel": ("hôtel", "m"),
    "university": ("université", "f"), "stadium": ("stade", "m"),
    "bakery": ("boulangerie", "f"), "garden": ("jardin", "m"), "kitchen": ("cuisine", "f"),
    "post_office": ("poste", "f"), "zoo": ("zoo", "m"), "swimming_pool": ("piscine", "f"),
    "gym": ("salle de sport", "f", "salles de sport"), "bookshop": ("librairie", "f"),
    "city_center": ("centre-ville", "m", "centres-villes"), "factory": ("usine", "f"),
    "shop": ("magasin", "m"),
    "cup": ("tasse", "f"), "spoon": ("cuillère", "f"), "gram": ("gramme", "m"),
    "pinch": ("pincée", "f"), "glass": ("verre", "m"), "bowl": ("bol", "m"),
    "pan": ("poêle", "f"), "pot": ("casserole", "f"), "oven": ("four", "m"),
    "fridge": ("réfrigérateur", "m"), "plate": ("assiette", "f"),
    "knife": ("couteau", "m", "couteaux"), "brush": ("pinceau", "m", "pinceaux"),
    "lid": ("couvercle", "m"), "plant": ("plante", "f"), "flower": ("fleur", "f"),
    "seed": ("graine", "f"), "tree": ("arbre", "m"), "flowerpot": ("pot", "m"),
    "wall": ("mur", "m"), "fence": ("clôture", "f"), "piece": ("morceau", "m", "morceaux"),
    "minute": ("minute", "f"), "hour": ("heure", "f"), "day": ("jour", "m"),
    "week": ("semaine", "f"), "year": ("an", "m"), "euro": ("euro", "m"),
    "dollar": ("dollar", "m"), "degree": ("degré", "m"),
}  # fmt: skip
PLURAL_ONLY = {"chess", "math"}  # "les échecs", "les mathématiques"
# Words starting with a vowel letter that still block elision ("le onze").
NO_ELISION = {"onze", "huit", "huitième", "onzième"}

PLACE_PREP = {"garden": "dans", "kitchen": "dans"}  # everything else: "à" (au, à la)
HOME = {"loc": "à la maison", "dir": "à la maison", "arr": "à la maison"}
PREPS = {"loc": "à", "dir": "à", "arr": "à"}  # for cities
CITIES = {
    "berlin": "Berlin", "paris": "Paris", "madrid": "Madrid", "lisbon": "Lisbonne",
    "london": "Londres", "rome": "Rome", "vienna": "Vienne", "munich": "Munich",
    "barcelona": "Barcelone", "hamburg": "Hambourg", "tokyo": "Tokyo",
    "brussels": "Bruxelles", "amsterdam": "Amsterdam", "milan": "Milan",
    "geneva": "Genève", "prague": "Prague", "athens": "Athènes", "new_york": "New York",
}  # fmt: skip
_IN = {
    "germany": "en Allemagne", "france": "en France", "spain": "en Espagne",
    "portugal": "au Portugal", "italy": "en Italie", "brazil": "au Brésil",
    "japan": "au Japon", "canada": "au Canada", "mexico": "au Mexique",
    "switzerland": "en Suisse",
}  # fmt: skip
COUNTRIES = {c: {"loc": p, "dir": p, "arr": p} for c, p in _IN.items()}
DEST_PREP = "pour"  # "le train pour Berlin"

ADJECTIVES = {
    "new": ("nouveau", "nouvelle", "nouveaux", "nouvelles", "nouvel"),
    "old": ("vieux", "vieille", "vieux", "vieilles", "vieil"), "young": "jeune",
    "big": "grand", "small": "petit",
    "cheap": ("bon marché", "bon marché", "bon marché", "bon marché"),
    "expensive": ("cher", "chère", "chers", "chères"),
    "beautiful": ("beau", "belle", "beaux", "belles", "bel"), "interesting": "intéressant",
    "boring": ("ennuyeux", "ennuyeuse", "ennuyeux", "ennuyeuses"),
    "long": ("long", "longue", "longs", "longues"), "short": "court",
    "good": ("bon", "bonne", "bons", "bonnes"), "bad": "mauvais", "famous": "célèbre",
    "modern": "moderne", "quiet": "calme", "noisy": "bruyant", "clean": "propre",
    "dirty": "sale", "empty": "vide", "full": "plein", "heavy": "lourd", "easy": "facile",
    "difficult": "difficile", "important": "important", "tired": "fatigué",
    "happy": "content", "busy": "occupé", "sick": "malade", "ready": "prêt",
    "delicious": ("délicieux", "délicieuse", "délicieux", "délicieuses"), "hot": "chaud",
    "cold": "froid", "fresh": ("frais", "fraîche", "frais", "fraîches"),
    "sharp": "bien aiguisé", "red": "rouge", "blue": "bleu", "green": "vert",
    "black": "noir", "white": ("blanc", "blanche", "blancs", "blanches"), "yellow": "jaune",
    "gray": "gris", "brown": ("marron", "marron", "marron", "marron"),
}  # fmt: skip
PRENOMINAL = {"new", "old", "young", "big", "small", "beautiful", "long", "good", "bad"}

VERBS = {
    "buy": {"inf": "acheter", "pres": ("achète", "achètes", "achète", "achetons", "achètent")},
    "sell": {"inf": "vendre"}, "eat": {"inf": "manger"},
    "drink": {"inf": "boire", "pres": ("bois", "bois", "boit", "buvons", "boivent"),
              "pp": "bu"},
    "cook": {"inf": "préparer"},
    "read": {"inf": "lire", "pres": ("lis", "lis", "lit", "lisons", "lisent"), "pp": "lu"},
    "write": {"inf": "écrire", "pres": ("écris", "écris", "écrit", "écrivons", "écrivent"),
              "pp": "écrit"},
    "open": {"inf": "ouvrir", "pres": ("ouvre", "ouvres", "ouvre", "ouvrons", "ouvrent"),
             "pp": "ouvert"},
    "close": {"inf": "fermer"},
    "clean": {"inf": "nettoyer",
              "pres": ("nettoie", "nettoies", "nettoie", "nettoyons", "nettoient")},
    "find": {"inf": "trouver"}, "lose": {"inf": "perdre"},
    "send": {"inf": "envoyer", "pres": ("envoie", "envoies", "envoie", "envoyons", "envoient")},
    "repair": {"inf": "réparer"}, "watch": {"inf": "regarder"}, "visit": {"inf": "visiter"},
    "visit.person": {"inf": "rendre", "particle": "visite", "prep": "à"},
    "call": {"inf": "appeler", "pres": ("appelle", "appelles", "appelle", "appelons",
                                        "appellent")},
    "help": {"inf": "aider"}, "wait_for": {"inf": "attendre"}, "bring": {"inf": "apporter"},
    "order": {"inf": "commander"},
    "pay": {"inf": "payer", "pres": ("paie", "paies", "paie", "payons", "paient")},
    "want": {"inf": "vouloir", "pres": ("veux", "veux", "veut", "voulons", "veulent"),
             "past": ("voulais", "voulais", "voulait", "voulions", "voulaient")},
    "see": {"inf": "voir", "pres": ("vois", "vois", "voit", "voyons", "voient"), "pp": "vu"},
    "play_sport": {"inf": "jouer", "prep": "à", "det": "def"},
    "play_instrument": {"inf": "jouer", "prep": "de", "det": "def"},
    "learn": {"inf": "apprendre", "pres": ("apprends", "apprends", "apprend", "apprenons",
                                           "apprennent"), "pp": "appris", "det": "def"},
    "study": {"inf": "étudier", "det": "def"}, "speak": {"inf": "parler"},
    "go": {"inf": "aller", "pres": ("vais", "vas", "va", "allons", "vont"), "aux": "être"},
    "travel": {"inf": "voyager"}, "come_back": {"inf": "rentrer", "aux": "être"},
    "arrive": {"inf": "arriver", "aux": "être"}, "work": {"inf": "travailler"},
    "live": {"inf": "habiter"},
    "sleep": {"inf": "dormir", "pres": ("dors", "dors", "dort", "dormons", "dorment")},
    "swim": {"inf": "nager"}, "stay": {"inf": "rester", "aux": "être"},
    "start": {"inf": "commencer"},
    "end": {"inf": "finir", "pres": ("finis", "finis", "finit", "finissons", "finissent")},
    "leave": {"inf": "partir", "pres": ("pars", "pars", "part", "partons", "partent"),
              "aux": "être"},
    "have": {"inf": "avoir", "pres": ("ai", "as", "a", "avons", "ont"), "pp": "eu",
             "past": ("avais", "avais", "avait", "avions", "avaient")},
    "like": {"inf": "aimer", "det": "def"}, "cost": {"inf": "coûter"},
    "think": {"inf": "penser"},
    "say": {"inf": "dire", "pres": ("dis", "dis", "dit", "disons", "disent"), "pp": "dit"},
    "know": {"inf": "savoir", "pres": ("sais", "sais", "sait", "savons", "savent"), "pp": "su"},
    "be": {"inf": "être", "pres": ("suis", "es", "est", "sommes", "sont"), "pp": "été",
           "past": ("étais", "étais", "était", "étions", "étaient")},
    "add": {"imp": "ajoutez"}, "cut": {"imp": "coupez"}, "mix": {"imp": "mélangez"},
    "put": {"imp": "mettez"}, "pour": {"imp": "versez"}, "heat": {"imp": "faites chauffer"},
    "bake": {"imp": "faites cuire"}, "boil": {"imp": "faites bouillir"},
    "wash": {"imp": "lavez"}, "stir": {"imp": "remuez"}, "peel": {"imp": "épluchez"},
    "paint": {"imp": "peignez"}, "water": {"imp": "arrosez"}, "plant": {"imp": "plantez"},
    "take_out": {"imp": "sortez"}, "use": {"imp": "utilisez"}, "cover": {"imp": "couvrez"},
}  # fmt: skip
FUTURE_AUX = "go"  # "va acheter"

PRONOUNS = {"1sg": "je", "2sg": "tu", "3sg.m": "il", "3sg.f": "elle", "1pl": "nous",
            "3pl": "ils"}  # fmt: skip
POSSESSIVES = {  # (masculine, feminine, plural)
    "1sg": ("mon", "ma", "mes"), "2sg": ("ton", "ta", "tes"), "3sg.m": ("son", "sa", "ses"),
    "3sg.f": ("son", "sa", "ses"), "1pl": ("notre", "notre", "nos"),
    "3pl": ("leur", "leur", "leurs"),
}  # fmt: skip
EXIST = {"pres": "il y a", "past": "il y avait", "fut": "il va y avoir"}

TIMES = {
    "today": "aujourd'hui", "tomorrow": "demain", "yesterday": "hier",
    "this_morning": "ce matin", "tonight": "ce soir", "last_night": "hier soir",
    "tomorrow_morning": "demain matin", "next_week": "la semaine prochaine",
    "last_week": "la semaine dernière", "next_month": "le mois prochain",
    "last_month": "le mois dernier", "next_year": "l'année prochaine",
    "last_year": "l'année dernière", "every_day": "tous les jours",
    "every_morning": "tous les matins", "every_week": "toutes les semaines",
    "in_the_morning": "le matin", "in_the_evening": "le soir", "at_night": "la nuit",
    "on_the_weekend": "le week-end", "in_summer": "en été", "in_winter": "en hiver",
    "in_spring": "au printemps", "in_autumn": "en automne", "now": "maintenant",
    "soon": "bientôt",
}  # fmt: skip
WEEKDAYS = {  # (on Monday, on Mondays)
    "monday": ("lundi", "le lundi"), "tuesday": ("mardi", "le mardi"),
    "wednesday": ("mercredi", "le mercredi"), "thursday": ("jeudi", "le jeudi"),
    "friday": ("vendredi", "le vendredi"), "saturday": ("samedi", "le samedi"),
    "sunday": ("dimanche", "le dimanche"),
}  # fmt: skip
MONTHS = {
    "january": "janvier", "february": "février", "march": "mars", "april": "avril",
    "may": "mai", "june": "juin", "july": "juillet", "august": "août",
    "september": "septembre", "october": "octobre", "november": "novembre",
    "december": "décembre",
}  # fmt: skip
IN_MONTH = "en"
AGO = ("il y a", "")
IN_N = ("dans", "")

FREQUENCIES = {"often": "souvent", "always": "toujours", "usually": "généralement",
               "sometimes": "parfois"}  # fmt: skip
TRANSPORTS = {"train": "en train", "bus": "en bus", "car": "en voiture", "bike": "à vélo",
              "plane": "en avion", "foot": "à pied"}  # fmt: skip
WEATHER = {
    "rain": {"pres": "il pleut", "past": "il a plu", "fut": "il va pleuvoir", "if": "il pleut"},
    "snow": {"pres": "il neige", "past": "il a neigé", "fut": "il va neiger",
             "if": "il neige"},
    "cold": {"pres": "il fait froid", "past": "il a fait froid", "fut": "il va faire froid",
             "if": "il fait froid"},
    "hot": {"pres": "il fait chaud", "past": "il a fait chaud", "fut": "il va faire chaud",
            "if": "il fait chaud"},
    "sunny": {"pres": "il y a du soleil", "past": "il y a eu du soleil",
              "fut": "il va y avoir du soleil", "if": "il y a du soleil"},
    "windy": {"pres": "il y a du vent", "past": "il y a eu du vent",
              "fut": "il va y avoir du vent", "if": "il y a du vent"},
}  # fmt: skip
RESULTS = {"small_pieces": "en petits morceaux", "thin_slices": "en fines tranches",
           "in_half": "en deux"}  # fmt: skip
SEQUENCERS = {"first": "D'abord,", "then": "Ensuite", "now": "Maintenant", "finally": "Enfin,"}
LINKS = {"and": "et", "but": ", mais", "because": "parce que", "if": "Si", "that": "que"}
WH = {"loc": "où", "dir": "où", "arr": "où", "when": "quand"}
VERY = "très"
INSTR = {"dest": "dans", "source": "de", "instr": "avec", "temp": "à", "duration": "pendant"}
NEED = ("vous", "aurez", "besoin")
NEED_PREP = "de"  # before each item
TAKE_TIME = ("cela", "prend", "environ")
