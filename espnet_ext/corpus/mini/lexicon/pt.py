"""Brazilian Portuguese lexicon ("você" for you, as in TED and How2 translations).

Nouns: (singular, gender[, plural]); the default plural adds -s. Adjectives: the masculine
singular when it ends in -o (regular), else (ms, fs, mp, fp). Verbs: ``inf``; ``pres``/``past``
(tables 1sg 2sg 3sg 1pl 3pl, 2sg = você = 3sg; ``past`` is the preterite, or the imperfect
for states, then ``pret3pl`` gives the preterite stem the future subjunctive needs);
``prep`` (before the object: "ligar para"); ``imp`` (você imperative).
"""

NOUNS = {
    "mother": ("mãe", "f"), "father": ("pai", "m"), "sister": ("irmã", "f"),
    "brother": ("irmão", "m", "irmãos"), "son": ("filho", "m"), "daughter": ("filha", "f"),
    "grandmother": ("avó", "f"), "grandfather": ("avô", "m"), "aunt": ("tia", "f"),
    "uncle": ("tio", "m"), "wife": ("esposa", "f"), "husband": ("marido", "m"),
    "friend": ("amigo", "m"), "girlfriend": ("namorada", "f"), "boyfriend": ("namorado", "m"),
    "neighbor": ("vizinho", "m"), "teacher": ("professor", "m", "professores"),
    "doctor": ("médico", "m"), "boss": ("chefe", "m"), "colleague": ("colega", "m"),
    "student": ("estudante", "m"), "child": ("criança", "f"),
    "man": ("homem", "m", "homens"), "woman": ("mulher", "f", "mulheres"),
    "boy": ("menino", "m"), "girl": ("menina", "f"), "waiter": ("garçom", "m", "garçons"),
    "actor": ("ator", "m", "atores"), "actress": ("atriz", "f", "atrizes"),
    "singer": ("cantor", "m", "cantores"), "tourist": ("turista", "m"),
    "lawyer": ("advogado", "m"), "engineer": ("engenheiro", "m"),
    "journalist": ("jornalista", "m"), "person": ("pessoa", "f"), "parents": ("pai", "m"),
    "dog": ("cachorro", "m"), "cat": ("gato", "m"), "horse": ("cavalo", "m"),
    "bird": ("pássaro", "m"), "rabbit": ("coelho", "m"),
    "book": ("livro", "m"), "car": ("carro", "m"), "bicycle": ("bicicleta", "f"),
    "phone": ("celular", "m", "celulares"), "computer": ("computador", "m", "computadores"),
    "bag": ("bolsa", "f"), "umbrella": ("guarda-chuva", "m"), "shirt": ("camisa", "f"),
    "jacket": ("jaqueta", "f"), "shoe": ("sapato", "m"), "watch": ("relógio", "m"),
    "camera": ("câmera", "f"), "lamp": ("luminária", "f"), "table": ("mesa", "f"),
    "chair": ("cadeira", "f"), "ticket": ("bilhete", "m"), "present": ("presente", "m"),
    "map": ("mapa", "m"), "key": ("chave", "f"), "wallet": ("carteira", "f"),
    "ball": ("bola", "f"), "newspaper": ("jornal", "m", "jornais"),
    "magazine": ("revista", "f"), "house": ("casa", "f"), "apartment": ("apartamento", "m"),
    "bottle": ("garrafa", "f"), "box": ("caixa", "f"), "picture": ("quadro", "m"),
    "dress": ("vestido", "m"), "hat": ("chapéu", "m"),
    "television": ("televisão", "f", "televisões"), "sofa": ("sofá", "m"),
    "bed": ("cama", "f"), "window": ("janela", "f"), "door": ("porta", "f"),
    "letter": ("carta", "f"), "email": ("e-mail", "m"), "report": ("relatório", "m"),
    "article": ("artigo", "m"), "message": ("mensagem", "f", "mensagens"),
    "novel": ("romance", "m"), "song": ("canção", "f", "canções"), "package": ("pacote", "m"),
    "postcard": ("cartão-postal", "m", "cartões-postais"), "passport": ("passaporte", "m"),
    "bill": ("conta", "f"),
    "apple": ("maçã", "f"), "banana": ("banana", "f"), "egg": ("ovo", "m"),
    "cake": ("bolo", "m"), "sandwich": ("sanduíche", "m"), "pizza": ("pizza", "f"),
    "tomato": ("tomate", "m"), "potato": ("batata", "f"), "onion": ("cebola", "f"),
    "carrot": ("cenoura", "f"), "lemon": ("limão", "m", "limões"),
    "orange": ("laranja", "f"), "bread": ("pão", "m"), "cheese": ("queijo", "m"),
    "rice": ("arroz", "m"), "meat": ("carne", "f"), "fish": ("peixe", "m"),
    "soup": ("sopa", "f"), "chocolate": ("chocolate", "m"), "sugar": ("açúcar", "m"),
    "salt": ("sal", "m"), "flour": ("farinha", "f"), "butter": ("manteiga", "f"),
    "salad": ("salada", "f"), "sauce": ("molho", "m"), "oil": ("óleo", "m"),
    "coffee": ("café", "m"), "tea": ("chá", "m"), "water": ("água", "f"),
    "milk": ("leite", "m"), "juice": ("suco", "m"), "wine": ("vinho", "m"),
    "beer": ("cerveja", "f"),
    "meeting": ("reunião", "f", "reuniões"), "concert": ("concerto", "m"),
    "film": ("filme", "m"), "match": ("jogo", "m"), "class": ("aula", "f"),
    "party": ("festa", "f"), "exam": ("prova", "f"), "conference": ("conferência", "f"),
    "festival": ("festival", "m", "festivais"),
    "play": ("peça de teatro", "f", "peças de teatro"), "series": ("série", "f"),
    "train": ("trem", "m", "trens"), "bus": ("ônibus", "m", "ônibus"),
    "boat": ("barco", "m"),
    "football": ("futebol", "m"), "tennis": ("tênis", "m"), "basketball": ("basquete", "m"),
    "chess": ("xadrez", "m"), "volleyball": ("vôlei", "m"), "golf": ("golfe", "m"),
    "piano": ("piano", "m"), "guitar": ("violão", "m", "violões"),
    "violin": ("violino", "m"), "drums": ("bateria", "f"), "flute": ("flauta", "f"),
    "trumpet": ("trompete", "m"),
    "english": ("inglês", "m"), "german": ("alemão", "m"), "spanish": ("espanhol", "m"),
    "french": ("francês", "m"), "portuguese": ("português", "m"),
    "italian": ("italiano", "m"), "japanese": ("japonês", "m"), "chinese": ("chinês", "m"),
    "math": ("matemática", "f"), "history": ("história", "f"), "music": ("música", "f"),
    "biology": ("biologia", "f"), "physics": ("física", "f"), "chemistry": ("química", "f"),
    "medicine": ("medicina", "f"), "economics": ("economia", "f"), "law": ("direito", "m"),
    "art": ("arte", "f"),
    "station": ("estação", "f", "estações"), "airport": ("aeroporto", "m"),
    "market": ("mercado", "m"), "supermarket": ("supermercado", "m"),
    "museum": ("museu", "m"), "library": ("biblioteca", "f"), "school": ("escola", "f"),
    "hospital": ("hospital", "m", "hospitais"), "park": ("parque", "m"),
    "beach": ("praia", "f"), "cinema": ("cinema", "m"), "theater": ("teatro", "m"),
    "restaurant": ("restaurante", "m"), "cafe": ("cafeteria", "f"),
    "office": ("escritório", "m"), "bank": ("banco", "m"), "pharmacy": ("farmácia", "f"),
    "church": ("igreja", "f"), "hotel": ("hotel", "m", "hotéis"),
    "university": ("universidade", "f"), "stadium": ("estádio", "m"),
    "bakery": ("padaria", "f"), "garden": ("jardim", "m", "jardins"),
    "kitchen": ("cozinha", "f"), "post_office": ("correio", "m"),
    "zoo": ("zoológico", "m"), "swimming_pool": ("piscina", "f"), "gym": ("academia", "f"),
    "bookshop": ("livraria", "f"),
    "city_center": ("centro da cidade", "m", "centros da cidade"),
    "factory": ("fábrica", "f"), "shop": ("loja", "f"),
    "cup": ("xícara", "f"), "spoon": ("colher", "f", "colheres"), "gram": ("grama", "m"),
    "pinch": ("pitada", "f"), "glass": ("copo", "m"), "bowl": ("tigela", "f"),
    "pan": ("frigideira", "f"), "pot": ("panela", "f"), "oven": ("forno", "m"),
    "fridge": ("geladeira", "f"), "plate": ("prato", "m"), "knife": ("faca", "f"),
    "brush": ("pincel", "m", "pincéis"), "lid": ("tampa", "f"), "plant": ("planta", "f"),
    "flower": ("flor", "f", "flores"), "seed": ("semente", "f"), "tree": ("árvore", "f"),
    "flowerpot": ("vaso", "m"), "wall": ("parede", "f"), "fence": ("cerca", "f"),
    "piece": ("pedaço", "m"), "minute": ("minuto", "m"), "hour": ("hora", "f"),
    "day": ("dia", "m"), "week": ("semana", "f"), "year": ("ano", "m"),
    "euro": ("euro", "m"), "dollar": ("dólar", "m", "dólares"),
    "degree": ("grau", "m"),
}  # fmt: skip

HOME = {"loc": "em casa", "dir": "para casa", "arr": "em casa"}
PREPS = {"loc": "em", "dir": "para", "arr": "a"}  # for places and cities
CITIES = {
    "berlin": "Berlim", "paris": "Paris", "madrid": "Madri", "lisbon": "Lisboa",
    "london": "Londres", "rome": "Roma", "vienna": "Viena", "munich": "Munique",
    "barcelona": "Barcelona", "hamburg": "Hamburgo", "tokyo": "Tóquio",
    "brussels": "Bruxelas", "amsterdam": "Amsterdã", "milan": "Milão", "geneva": "Genebra",
    "prague": "Praga", "athens": "Atenas", "new_york": "Nova York",
}  # fmt: skip
COUNTRIES = {
    "germany": {"loc": "na Alemanha", "dir": "para a Alemanha", "arr": "à Alemanha"},
    "france": {"loc": "na França", "dir": "para a França", "arr": "à França"},
    "spain": {"loc": "na Espanha", "dir": "para a Espanha", "arr": "à Espanha"},
    "portugal": {"loc": "em Portugal", "dir": "para Portugal", "arr": "a Portugal"},
    "italy": {"loc": "na Itália", "dir": "para a Itália", "arr": "à Itália"},
    "brazil": {"loc": "no Brasil", "dir": "para o Brasil", "arr": "ao Brasil"},
    "japan": {"loc": "no Japão", "dir": "para o Japão", "arr": "ao Japão"},
    "canada": {"loc": "no Canadá", "dir": "para o Canadá", "arr": "ao Canadá"},
    "mexico": {"loc": "no México", "dir": "para o México", "arr": "ao México"},
    "switzerland": {"loc": "na Suíça", "dir": "para a Suíça", "arr": "à Suíça"},
}  # fmt: skip
DEST_PREP = "para"  # "o trem para Berlim"

ADJECTIVES = {
    "new": "novo", "old": "velho", "young": ("jovem", "jovem", "jovens", "jovens"),
    "big": ("grande", "grande", "grandes", "grandes"), "small": "pequeno", "cheap": "barato",
    "expensive": "caro", "beautiful": "bonito",
    "interesting": ("interessante", "interessante", "interessantes", "interessantes"),
    "boring": "chato", "long": "longo", "short": "curto",
    "good": ("bom", "boa", "bons", "boas"), "bad": ("ruim", "ruim", "ruins", "ruins"),
    "famous": "famoso", "modern": "moderno", "quiet": "tranquilo", "noisy": "barulhento",
    "clean": "limpo", "dirty": "sujo", "empty": "vazio", "full": "cheio", "heavy": "pesado",
    "easy": ("fácil", "fácil", "fáceis", "fáceis"),
    "difficult": ("difícil", "difícil", "difíceis", "difíceis"),
    "important": ("importante", "importante", "importantes", "importantes"),
    "tired": "cansado", "happy": ("contente", "contente", "contentes", "contentes"),
    "busy": "ocupado", "sick": ("doente", "doente", "doentes", "doentes"), "ready": "pronto",
    "delicious": "delicioso", "hot": ("quente", "quente", "quentes", "quentes"),
    "cold": "frio", "fresh": "fresco", "sharp": "afiado", "red": "vermelho",
    "blue": ("azul", "azul", "azuis", "azuis"), "green": ("verde", "verde", "verdes", "verdes"),
    "black": "preto", "white": "branco", "yellow": "amarelo",
    "gray": ("cinza", "cinza", "cinza", "cinza"),
    "brown": ("marrom", "marrom", "marrons", "marrons"),
}  # fmt: skip

VERBS = {
    "buy": {"inf": "comprar"}, "sell": {"inf": "vender"}, "eat": {"inf": "comer"},
    "drink": {"inf": "beber"}, "cook": {"inf": "cozinhar"},
    "read": {"inf": "ler", "pres": ("leio", "lê", "lê", "lemos", "leem"),
             "past": ("li", "leu", "leu", "lemos", "leram")},
    "write": {"inf": "escrever"}, "open": {"inf": "abrir"}, "close": {"inf": "fechar"},
    "clean": {"inf": "limpar"}, "find": {"inf": "encontrar"},
    "lose": {"inf": "perder", "pres": ("perco", "perde", "perde", "perdemos", "perdem")},
    "send": {"inf": "enviar"}, "repair": {"inf": "consertar"},
    "watch": {"inf": "assistir", "prep": "a"}, "visit": {"inf": "visitar"},
    "call": {"inf": "ligar", "prep": "para"}, "help": {"inf": "ajudar"},
    "wait_for": {"inf": "esperar"},
    "bring": {"inf": "trazer", "pres": ("trago", "traz", "traz", "trazemos", "trazem"),
              "past": ("trouxe", "trouxe", "trouxe", "trouxemos", "trouxeram")},
    "order": {"inf": "pedir", "pres": ("peço", "pede", "pede", "pedimos", "pedem")},
    "pay": {"inf": "pagar"},
    "want": {"inf": "querer", "pres": ("quero", "quer", "quer", "queremos", "querem"),
             "past": ("queria", "queria", "queria", "queríamos", "queriam"),
             "pret3pl": "quiseram"},
    "see": {"inf": "ver", "pres": ("vejo", "vê", "vê", "vemos", "veem"),
            "past": ("vi", "viu", "viu", "vimos", "viram")},
    "play_sport": {"inf": "jogar"}, "play_instrument": {"inf": "tocar"},
    "learn": {"inf": "aprender"}, "study": {"inf": "estudar"}, "speak": {"inf": "falar"},
    "go": {"inf": "ir", "pres": ("vou", "vai", "vai", "vamos", "vão"),
           "past": ("fui", "foi", "foi", "fomos", "foram")},
    "travel": {"inf": "viajar"}, "come_back": {"inf": "voltar"}, "arrive": {"inf": "chegar"},
    "work": {"inf": "trabalhar"}, "live": {"inf": "morar"},
    "sleep": {"inf": "dormir", "pres": ("durmo", "dorme", "dorme", "dormimos", "dormem")},
    "swim": {"inf": "nadar"}, "stay": {"inf": "ficar"}, "start": {"inf": "começar"},
    "end": {"inf": "terminar"},
    "leave": {"inf": "sair", "pres": ("saio", "sai", "sai", "saímos", "saem"),
              "past": ("saí", "saiu", "saiu", "saímos", "saíram")},
    "have": {"inf": "ter", "pres": ("tenho", "tem", "tem", "temos", "têm"),
             "past": ("tinha", "tinha", "tinha", "tínhamos", "tinham"), "pret3pl": "tiveram"},
    "like": {"inf": "gostar", "prep": "de"}, "cost": {"inf": "custar"},
    "think": {"inf": "achar"},
    "say": {"inf": "dizer", "pres": ("digo", "diz", "diz", "dizemos", "dizem")},
    "know": {"inf": "saber", "pres": ("sei", "sabe", "sabe", "sabemos", "sabem")},
    "ser": {"inf": "ser", "pres": ("sou", "é", "é", "somos", "são"),
            "past": ("era", "era", "era", "éramos", "eram"), "pret3pl": "foram"},
    "estar": {"inf": "estar", "pres": ("estou", "está", "está", "estamos", "estão"),
              "past": ("estava", "estava", "estava", "estávamos", "estavam"),
              "pret3pl": "estiveram"},
    "ficar": {"inf": "ficar", "past": ("ficava", "ficava", "ficava", "ficávamos", "ficavam")},
    "add": {"imp": "adicione"}, "cut": {"imp": "corte"}, "mix": {"imp": "misture"},
    "put": {"imp": "coloque"}, "pour": {"imp": "despeje"}, "heat": {"imp": "aqueça"},
    "bake": {"imp": "asse"}, "boil": {"imp": "ferva"}, "wash": {"imp": "lave"},
    "stir": {"imp": "mexa"}, "peel": {"imp": "descasque"}, "paint": {"imp": "pinte"},
    "water": {"imp": "regue"}, "plant": {"imp": "plante"}, "take_out": {"imp": "tire"},
    "use": {"imp": "use"}, "cover": {"imp": "tampe"},
}  # fmt: skip
FUTURE_AUX = "go"  # "vai comprar"

PRONOUNS = {"1sg": "eu", "2sg": "você", "3sg.m": "ele", "3sg.f": "ela", "1pl": "nós",
            "3pl": "eles"}  # fmt: skip
POSSESSIVES = {  # (masculine, feminine); 3rd persons follow the noun: "o irmão dele"
    "1sg": ("meu", "minha"), "2sg": ("seu", "sua"), "1pl": ("nosso", "nossa"),
    "3sg.m": "dele", "3sg.f": "dela", "3pl": "deles",
}  # fmt: skip
EXIST = {"pres": "há", "past": "havia", "fut": "vai haver"}

TIMES = {
    "today": "hoje", "tomorrow": "amanhã", "yesterday": "ontem",
    "this_morning": "hoje de manhã", "tonight": "hoje à noite", "last_night": "ontem à noite",
    "tomorrow_morning": "amanhã de manhã", "next_week": "na próxima semana",
    "last_week": "na semana passada", "next_month": "no próximo mês",
    "last_month": "no mês passado", "next_year": "no próximo ano",
    "last_year": "no ano passado", "every_day": "todos os dias",
    "every_morning": "todas as manhãs", "every_week": "todas as semanas",
    "in_the_morning": "de manhã", "in_the_evening": "à noite", "at_night": "de noite",
    "on_the_weekend": "no fim de semana", "in_summer": "no verão", "in_winter": "no inverno",
    "in_spring": "na primavera", "in_autumn": "no outono", "now": "agora", "soon": "em breve",
}  # fmt: skip
WEEKDAYS = {  # (on Monday, on Mondays)
    "monday": ("na segunda-feira", "às segundas-feiras"),
    "tuesday": ("na terça-feira", "às terças-feiras"),
    "wednesday": ("na quarta-feira", "às quartas-feiras"),
    "thursday": ("na quinta-feira", "às quintas-feiras"),
    "friday": ("na sexta-feira", "às sextas-feiras"),
    "saturday": ("no sábado", "aos sábados"), "sunday": ("no domingo", "aos domingos"),
}  # fmt: skip
MONTHS = {
    "january": "janeiro", "february": "fevereiro", "march": "março", "april": "abril",
    "may": "maio", "june": "junho", "july": "julho", "august": "agosto",
    "september": "setembro", "october": "outubro", "november": "novembro",
    "december": "dezembro",
}  # fmt: skip
IN_MONTH = "em"
AGO = ("há", "")
IN_N = ("daqui a", "")

FREQUENCIES = {"often": "muitas vezes", "always": "sempre", "usually": "normalmente",
               "sometimes": "às vezes"}  # fmt: skip
TRANSPORTS = {"train": "de trem", "bus": "de ônibus", "car": "de carro",
              "bike": "de bicicleta", "plane": "de avião", "foot": "a pé"}  # fmt: skip
WEATHER = {  # "if" is the future subjunctive: "se chover amanhã"
    "rain": {"pres": "está chovendo", "past": "choveu", "fut": "vai chover", "if": "chover"},
    "snow": {"pres": "está nevando", "past": "nevou", "fut": "vai nevar", "if": "nevar"},
    "cold": {"pres": "faz frio", "past": "fez frio", "fut": "vai fazer frio",
             "if": "fizer frio"},
    "hot": {"pres": "faz calor", "past": "fez calor", "fut": "vai fazer calor",
            "if": "fizer calor"},
    "sunny": {"pres": "faz sol", "past": "fez sol", "fut": "vai fazer sol", "if": "fizer sol"},
    "windy": {"pres": "está ventando", "past": "ventou", "fut": "vai ventar", "if": "ventar"},
}  # fmt: skip
RESULTS = {"small_pieces": "em pedaços pequenos", "thin_slices": "em fatias finas",
           "in_half": "ao meio"}  # fmt: skip
SEQUENCERS = {"first": "Primeiro,", "then": "Depois", "now": "Agora", "finally": "Por fim,"}
LINKS = {"and": "e", "but": ", mas", "because": "porque", "if": "Se", "that": "que"}
WH = {"loc": "onde", "dir": "para onde", "arr": "onde", "when": "quando"}
VERY = "muito"
INSTR = {"dest": "em", "source": "de", "instr": "com", "temp": "a", "duration": "por"}
NEED = ("você", "vai", "precisar")
NEED_PREP = "de"  # before each item
TAKE_TIME = ("isso", "leva", "cerca de")
