"""Deterministic, realistic and optionally dirty demo data for the landing sources.

Why this module exists:

* **Deterministic** - the same arguments give byte-identical files (one `random.Random`
  stream per concern, seeded from `seed`; no global random, no clock), so tests, demos
  and benchmarks are reproducible.
* **Realistic** - customers follow buying archetypes (loyal, regular, occasional,
  one-off, lapsed, new, plus never-buying prospects) with seasonality (winter sales,
  summer sales, Black Friday/Christmas), returns, cancellations, guest checkouts and
  messy e-mail references, so RFM segments and scores mean something. Interactions
  cluster before orders and fade for lapsed customers; CRM notes carry clear signals.
* **Optionally dirty** - with `dirty_rate > 0` known, counted faults are injected into
  transactions, interactions and crm_customers to exercise the quality layer.

Layout written under `out_dir` (UTF-8, ',' separated, header row, '\\n' line endings,
minimal quoting; timestamps 'YYYY-MM-DD HH:MM:SS', dates 'YYYY-MM-DD', decimals with '.'):

    transactions/transactions_YYYY-MM.csv      one file per calendar month of order_ts
    interactions/interactions_YYYY-MM.csv      one file per calendar month of event_ts
    crm_customers/crm_customers.csv
    crm_notes/crm_notes.csv
    campaigns/campaigns.csv
    campaign_contacts/campaign_contacts.csv
    invoices/invoices.csv                      pay-on-invoice customers, as of end_date

Faults relation (holds for every source, dirty or not):

    rows[source] == clean_rows[source] + sum(faults[source].values())

because every injected fault yields exactly one row that is not clean: `duplicate_line`
writes an identical extra copy right after the original (the original stays clean) and
every other kind replaces one clean row by one broken row.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import io
import random
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from .lib.canonical import TRANSACTION_CHANNELS as ORDER_CHANNELS

DAY = 86_400

COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": (
        "order_id",
        "order_line",
        "customer_ref",
        "order_ts",
        "channel",
        "product_id",
        "category",
        "quantity",
        "unit_price",
        "discount",
        "currency",
        "status",
    ),
    "interactions": (
        "event_id",
        "customer_ref",
        "event_ts",
        "event_type",
        "channel",
        "url",
        "campaign_id",
    ),
    "crm_customers": (
        "customer_id",
        "email",
        "first_name",
        "last_name",
        "birth_date",
        "postcode",
        "city",
        "country",
        "signup_ts",
        "acquisition_channel",
        "opt_in_email",
        "loyalty_member",
    ),
    "crm_notes": ("note_id", "customer_ref", "note_ts", "author", "note_text"),
    "campaigns": (
        "campaign_id",
        "name",
        "channel",
        "start_date",
        "end_date",
        "cost_per_contact",
        "fixed_cost",
        "offer",
    ),
    "campaign_contacts": (
        "campaign_id",
        "customer_ref",
        "contact_ts",
        "responded",
        "response_ts",
        "order_id",
        "is_control",
    ),
    "invoices": (
        "invoice_id",
        "customer_ref",
        "order_id",
        "issue_date",
        "due_date",
        "amount",
        "currency",
        "paid_amount",
        "paid_date",
        "status",
    ),
}
SOURCES = tuple(COLUMNS)
MONTHLY_SOURCES = ("transactions", "interactions")

EVENT_CHANNELS = ("web", "email", "app")
ACQUISITION_CHANNELS = (
    "organic_search",
    "paid_search",
    "social",
    "referral",
    "email",
    "store",
    "marketplace",
)
CAMPAIGN_CHANNELS = ("email", "sms", "direct_mail", "paid_social", "phone")
ARCHETYPES = ("prospect", "loyal", "regular", "occasional", "one_off", "lapsed", "new")

# --- Shape of the business -------------------------------------------------------------

_ARCHETYPE_WEIGHTS = (15, 8, 15, 27, 17, 11, 7)  # aligned with ARCHETYPES
_CRM_ID_SHARE = 0.84  # of CRM customers' orders; the rest use the e-mail
_GUEST_SHARE = 0.05  # of all orders
_ANONYMOUS_SHARE = 0.15  # of all events
_CANCEL_RATE, _RETURN_RATE = 0.02, 0.04
_CATEGORIES = {  # category: (min, max) unit price in EUR
    "apparel": (15, 120),
    "shoes": (40, 200),
    "accessories": (5, 80),
    "home": (10, 250),
    "beauty": (5, 60),
    "sports": (15, 300),
    "books": (5, 40),
    "electronics": (30, 400),
}
_CATEGORY_NAMES = tuple(_CATEGORIES)
_BASKET_SIZES = (1,) * 10 + (2,) * 6 + (3,) * 3 + (4,)
_QUANTITIES = (1,) * 16 + (2,) * 5 + (3,) * 2 + (4,) + (6,)
_DISCOUNT_PCTS = (5, 10, 10, 15, 20, 20, 30)
_PREFERRED_CHANNEL_WEIGHTS = (55, 22, 8, 5, 10)  # aligned with ORDER_CHANNELS
_FIRST_CHANNEL_WEIGHTS = {  # channel of the first order by archetype, aligned with ORDER_CHANNELS
    "prospect": (55, 22, 8, 5, 10),
    "loyal": (35, 45, 10, 7, 3),
    "regular": (45, 35, 8, 6, 6),
    "occasional": (55, 22, 8, 5, 10),
    "one_off": (40, 8, 4, 4, 44),
    "lapsed": (45, 10, 5, 5, 35),
    "new": (55, 22, 8, 5, 10),
}
_ACQUISITION_WEIGHTS = (25, 18, 15, 10, 8, 18, 6)
_GUEST_CHANNELS = ("web",) * 6 + ("marketplace",) * 3 + ("phone",)
_LOYALTY_RATE = {
    "prospect": 0.05,
    "loyal": 0.8,
    "regular": 0.5,
    "occasional": 0.25,
    "one_off": 0.1,
    "lapsed": 0.4,
    "new": 0.2,
}
_BROWSE_PER_30_DAYS = {
    "prospect": 0.6,
    "loyal": 1.8,
    "regular": 0.9,
    "occasional": 0.6,
    "one_off": 0.5,
    "lapsed": 0.8,
    "new": 2.5,
}
_NEWSLETTER_OPEN = {
    "prospect": 0.1,
    "loyal": 0.35,
    "regular": 0.25,
    "occasional": 0.15,
    "one_off": 0.08,
    "lapsed": 0.2,
    "new": 0.3,
}
_NEWSLETTER_EVERY_DAYS = 14
_BROWSE_TYPES = (
    ("product_page_view",) * 11
    + ("blog_view",) * 5
    + ("pricing_page_view",) * 2
    + ("cart_add",)
    + ("form_submit",)
)
_ANONYMOUS_TYPES = (
    ("product_page_view",) * 11 + ("blog_view",) * 5 + ("pricing_page_view",) * 2 + ("cart_add",)
)


def _hour_pool(weights: dict[int, int]) -> tuple[int, ...]:
    """Hours repeated by weight, so `rng.choice` draws a realistic time of day."""
    return tuple(hour for hour, weight in weights.items() for _ in range(weight))


_WEB_HOURS = _hour_pool(
    {
        0: 1,
        1: 1,
        6: 1,
        7: 2,
        8: 3,
        9: 4,
        10: 4,
        11: 5,
        12: 6,
        13: 6,
        14: 5,
        15: 5,
        16: 5,
        17: 6,
        18: 7,
        19: 8,
        20: 9,
        21: 8,
        22: 5,
        23: 3,
    }
)
_ORDER_HOURS = {
    "web": _WEB_HOURS,
    "marketplace": _WEB_HOURS,
    "store": _hour_pool(
        {9: 2, 10: 4, 11: 6, 12: 5, 13: 4, 14: 5, 15: 6, 16: 7, 17: 8, 18: 6, 19: 3}
    ),
    "phone": _hour_pool({9: 4, 10: 6, 11: 6, 12: 2, 13: 3, 14: 6, 15: 6, 16: 5, 17: 3}),
    "mail": _hour_pool({8: 3, 9: 5, 10: 5, 11: 4, 14: 4, 15: 4, 16: 3}),
}

# --- People and places -----------------------------------------------------------------

_NAMES = {
    "FR": (
        (
            "Marie",
            "Jean",
            "Camille",
            "Louis",
            "Léa",
            "Hugo",
            "Chloé",
            "Lucas",
            "Manon",
            "Nathan",
            "Inès",
            "Théo",
            "Zoé",
            "Jules",
            "Léna",
            "Gabriel",
            "Anaïs",
            "Raphaël",
            "Élodie",
            "Jérôme",
            "Hélène",
            "François",
            "Cécile",
            "Benoît",
            "Gaëlle",
            "Noël",
            "Maëlle",
            "Loïc",
            "Françoise",
            "Sébastien",
            "Amélie",
            "Thomas",
            "Julie",
            "Nicolas",
            "Sophie",
            "Pierre",
            "Claire",
            "Antoine",
            "Emma",
            "Mathilde",
        ),
        (
            "Martin",
            "Bernard",
            "Dubois",
            "Thomas",
            "Robert",
            "Richard",
            "Petit",
            "Durand",
            "Leroy",
            "Moreau",
            "Simon",
            "Laurent",
            "Lefèvre",
            "Michel",
            "Garcia",
            "David",
            "Bertrand",
            "Roux",
            "Vincent",
            "Fournier",
            "Morel",
            "Girard",
            "André",
            "Lefebvre",
            "Mercier",
            "Dupont",
            "Lambert",
            "Bonnet",
            "François",
            "Legrand",
            "Garnier",
            "Faure",
            "Rousseau",
            "Blanc",
            "Guérin",
            "Muller",
            "Henry",
            "Perrin",
            "Morin",
            "Mathieu",
            "Clément",
            "Gauthier",
            "Fontaine",
            "Chevalier",
            "Le Gall",
            "N'Diaye",
            "Lemaître",
            "Bénard",
            "Château",
            "Da Silva",
        ),
    ),
    "BE": (
        ("Lotte", "Wout", "Jens", "Sanne", "Louis", "Emma", "Noah", "Élise", "Arthur", "Olivia"),
        (
            "Peeters",
            "Janssens",
            "Maes",
            "Jacobs",
            "Mertens",
            "Willems",
            "Claes",
            "Goossens",
            "Wouters",
            "Dubois",
            "Lambert",
            "Dupont",
        ),
    ),
    "CH": (
        ("Luca", "Noah", "Mia", "Elena", "Léa", "Nicolas", "Laura", "Jonas", "Chloé", "Yannick"),
        ("Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Favre", "Rochat", "Bonvin"),
    ),
    "DE": (
        (
            "Lukas",
            "Anna",
            "Maximilian",
            "Sophie",
            "Jürgen",
            "Jörg",
            "Lena",
            "Felix",
            "Katharina",
            "Björn",
        ),
        (
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schäfer",
            "Köhler",
            "Groß",
        ),
    ),
    "ES": (
        (
            "José",
            "María",
            "Lucía",
            "Javier",
            "Sofía",
            "Alejandro",
            "Martín",
            "Paula",
            "Álvaro",
            "Inés",
        ),
        (
            "García",
            "Martínez",
            "López",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Fernández",
            "Núñez",
            "Muñoz",
            "Jiménez",
        ),
    ),
    "IT": (
        (
            "Giulia",
            "Francesco",
            "Alessandro",
            "Chiara",
            "Matteo",
            "Sofia",
            "Lorenzo",
            "Niccolò",
            "Aurora",
        ),
        (
            "Rossi",
            "Russo",
            "Ferrari",
            "Esposito",
            "Bianchi",
            "Romano",
            "Colombo",
            "Ricci",
            "De Luca",
            "Galli",
        ),
    ),
    "GB": (
        (
            "Oliver",
            "Amelia",
            "George",
            "Isla",
            "Harry",
            "Olivia",
            "Jack",
            "Emily",
            "Charlotte",
            "James",
        ),
        (
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Evans",
            "O'Brien",
            "Davies",
            "Clarke",
        ),
    ),
}
_COUNTRY_POOL = (
    ("FR",) * 70 + ("BE",) * 8 + ("CH",) * 5 + ("DE",) * 5 + ("ES",) * 5 + ("IT",) * 4 + ("GB",) * 3
)
_POSTCODE_WIDTH = {"FR": 5, "BE": 4, "CH": 4, "DE": 5, "ES": 5, "IT": 5}
_CITIES = {  # country: ((city, lowest postcode, highest postcode), ...)
    "FR": (
        ("Paris", 75001, 75020),
        ("Paris", 75001, 75020),
        ("Lyon", 69001, 69009),
        ("Marseille", 13001, 13016),
        ("Toulouse", 31000, 31500),
        ("Bordeaux", 33000, 33800),
        ("Lille", 59000, 59800),
        ("Nantes", 44000, 44300),
        ("Strasbourg", 67000, 67200),
        ("Nice", 6000, 6300),
        ("Rennes", 35000, 35700),
        ("Montpellier", 34000, 34090),
        ("Grenoble", 38000, 38100),
        ("Dijon", 21000, 21000),
        ("Saint-Étienne", 42000, 42100),
        ("Orléans", 45000, 45100),
        ("Besançon", 25000, 25000),
        ("Angers", 49000, 49100),
    ),
    "BE": (
        ("Bruxelles", 1000, 1210),
        ("Liège", 4000, 4032),
        ("Gent", 9000, 9052),
        ("Antwerpen", 2000, 2060),
        ("Namur", 5000, 5004),
    ),
    "CH": (
        ("Genève", 1200, 1209),
        ("Lausanne", 1003, 1018),
        ("Zürich", 8001, 8057),
        ("Bern", 3011, 3030),
        ("Basel", 4051, 4059),
    ),
    "DE": (
        ("Berlin", 10115, 14199),
        ("München", 80331, 81929),
        ("Hamburg", 20095, 22769),
        ("Köln", 50667, 51149),
        ("Frankfurt am Main", 60311, 60599),
    ),
    "ES": (
        ("Madrid", 28001, 28055),
        ("Barcelona", 8001, 8042),
        ("Valencia", 46001, 46026),
        ("Sevilla", 41001, 41020),
    ),
    "IT": (
        ("Roma", 118, 199),
        ("Milano", 20121, 20162),
        ("Torino", 10121, 10156),
        ("Napoli", 80121, 80147),
    ),
}
_GB_CITIES = (
    ("London", ("SW1A", "EC1A", "N1", "E14", "W1D", "SE1")),
    ("Manchester", ("M1", "M4", "M20")),
    ("Birmingham", ("B1", "B15")),
    ("Edinburgh", ("EH1", "EH3")),
    ("Bristol", ("BS1", "BS8")),
)
_DOMAINS = {
    "FR": ("gmail.com",) * 4
    + (
        "orange.fr",
        "free.fr",
        "hotmail.fr",
        "yahoo.fr",
        "laposte.net",
        "sfr.fr",
        "outlook.fr",
        "wanadoo.fr",
        "icloud.com",
    ),
    "BE": ("gmail.com", "gmail.com", "skynet.be", "telenet.be", "hotmail.com"),
    "CH": ("gmail.com", "gmail.com", "bluewin.ch", "gmx.ch"),
    "DE": ("gmail.com", "gmx.de", "web.de", "t-online.de"),
    "ES": ("gmail.com", "gmail.com", "hotmail.es", "telefonica.net"),
    "IT": ("gmail.com", "gmail.com", "libero.it", "virgilio.it"),
    "GB": ("gmail.com", "btinternet.com", "outlook.com", "yahoo.co.uk"),
}
_ACCENTS = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUY"
_FOLD = str.maketrans(
    {**dict(zip(_ACCENTS, _PLAIN, strict=True)), "œ": "oe", "Œ": "OE", "æ": "ae", "ß": "ss"}
)

# --- Web, campaigns and notes ----------------------------------------------------------

_BLOG_SLUGS = (
    "guide-des-tailles",
    "comment-entretenir-ses-chaussures",
    "tendances-automne",
    "idees-cadeaux-noel",
    "summer-essentials",
    "how-to-choose-running-shoes",
    "decoration-petits-espaces",
    "routine-beaute-naturelle",
    "best-books-of-the-year",
    "soldes-mode-d-emploi",
    "leather-care-guide",
    "home-office-setup",
)
_FORM_URLS = ("/contact", "/newsletter/signup", "/quote-request", "/account/preferences")
_WEBINARS = ("styling-masterclass", "atelier-deco-noel", "running-clinic", "skincare-live")
_CAMPAIGN_CHANNEL_WEIGHTS = (40, 15, 15, 20, 10)  # aligned with CAMPAIGN_CHANNELS
_CAMPAIGN_PROFILE = {  # channel: (cost per contact range, base response range, reach range)
    "email": ((0.01, 0.05), (0.06, 0.12), (0.2, 0.5)),
    "sms": ((0.05, 0.10), (0.06, 0.12), (0.1, 0.25)),
    "direct_mail": ((0.8, 1.5), (0.08, 0.14), (0.1, 0.25)),
    "paid_social": ((0.3, 1.0), (0.02, 0.04), (0.1, 0.3)),
    "phone": ((3.0, 6.0), (0.10, 0.16), (0.05, 0.1)),
}
_CAMPAIGN_MAX_REMINDERS = {"email": 3, "sms": 2, "direct_mail": 2, "paid_social": 0, "phone": 1}
_CAMPAIGN_ORDER_CHANNEL = {  # where a customer orders when a campaign makes them buy
    "email": "web",
    "sms": "web",
    "direct_mail": "mail",
    "paid_social": "web",
    "phone": "phone",
}
# How strongly each archetype reacts to a campaign (x the campaign's base rate) and the
# share of that reaction a reminder keeps (reminder k: x share^k): loyal customers answer
# reminders, one-off and lapsed buyers stop after the first contact.
_CAMPAIGN_REACTION = {
    "prospect": (0.4, 0.2),
    "loyal": (2.0, 0.7),
    "regular": (1.5, 0.5),
    "occasional": (1.0, 0.4),
    "one_off": (0.6, 0.2),
    "lapsed": (0.5, 0.15),
    "new": (1.2, 0.4),
}
_CONTROL_SHARE = 0.25  # held out of a campaign with a control group
_CAMPAIGN_RESPONSE_DAYS = 7  # a reminder follows after this many days without response
_CAMPAIGN_THEMES = (  # by month, January first
    "Soldes d'hiver",
    "Saint-Valentin",
    "Collection printemps",
    "Collection printemps",
    "Fête des mères",
    "Soldes d'été",
    "Soldes d'été",
    "Rentrée",
    "Rentrée",
    "Relance clients inactifs",
    "Black Friday",
    "Noël",
)
_OFFERS = (
    "-10% on shoes",
    "free shipping",
    "-20% sitewide",
    "2 for 1 on accessories",
    "-15% for loyalty members",
    "free gift over 80 EUR",
    "-30% summer sale",
    "double loyalty points",
    "-5 EUR on your next order",
    "style guide",
    "new collection preview",
    "webinar invitation",
)
_OFFER_REACTION = (1.0, 0.8, 1.4, 1.1, 1.0, 0.9, 1.6, 0.6, 0.8, 0.7, 0.9, 0.6)  # as _OFFERS
_NOTE_KINDS = ("complaint", "cancellation", "interest", "advocacy", "price", "neutral")
_NOTE_WEIGHTS = {  # aligned with _NOTE_KINDS
    "prospect": (3, 2, 40, 0, 25, 30),
    "loyal": (10, 2, 20, 35, 5, 28),
    "regular": (15, 5, 20, 15, 10, 35),
    "occasional": (15, 7, 15, 8, 20, 35),
    "one_off": (30, 10, 5, 5, 20, 30),
    "lapsed": (35, 25, 3, 2, 15, 20),
    "new": (10, 3, 30, 15, 10, 32),
}
_NOTE_TEMPLATES = {
    "complaint": (
        "Client mécontent : colis reçu abîmé",
        "Customer complained about late delivery",
        "Réclamation : taille trop petite, échange demandé",
        'Customer says the item "looked nothing like the photo", asked for a refund',
        "Livraison en retard de {n} jours, cliente très déçue",
        "Produit défectueux, retour en cours",
        "Complaint: wrong item received",
    ),
    "cancellation": (
        "Souhaite résilier son abonnement",
        "Wants to cancel the loyalty membership",
        "Demande la suppression de son compte client",
        'Menace de partir chez un concurrent : "dernière fois que je commande"',
        "Asked to be removed from all mailing lists, considering closing the account",
    ),
    "interest": (
        "Intéressé par la nouvelle collection",
        "Asked for a quote for {n} units",
        "Demande des informations sur les produits {category}",
        "Interested in the upcoming {category} range, call back next week",
        "Souhaite être prévenue du retour en stock",
    ),
    "advocacy": (
        "Recommande la marque à ses amis",
        "Left a 5-star review",
        'Très satisfaite, a dit : "service impeccable, merci !"',
        "Happy customer, referred two friends",
        "Ambassadrice de la marque, très fidèle",
    ),
    "price": (
        "Trouve les prix trop élevés",
        "Asked for a discount",
        "Compare nos prix avec la concurrence, attend les soldes",
        'Says prices are "way too high", waiting for a promo code',
        "Demande un geste commercial sur sa prochaine commande",
    ),
    "neutral": (
        "A changé d'adresse",
        "Updated phone number",
        "Mise à jour de l'adresse e-mail",
        "Called to check opening hours, Paris store",
        "Préférence de contact : téléphone, pas de SMS",
    ),
}
_NOTE_PREFIXES = ("Appel : ", "Email: ", "[Support] ", "Boutique - ", "Chat: ")
_AUTHORS = (
    "Sophie Martin",
    "Lucas Bernard",
    "Camille Petit",
    "Thomas Roux",
    "Emma Leroy",
    "Karim Benali",
    "service.client",
    "Julie Nguyen",
)

# --- Faults ----------------------------------------------------------------------------

FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "transactions": (
        "duplicate_line",
        "bad_date",
        "negative_amount",
        "missing_amount",
        "missing_key",
        "unknown_enum",
        "bad_encoding",
    ),
    "interactions": ("duplicate_line", "bad_date", "missing_key", "unknown_enum", "bad_encoding"),
    "crm_customers": ("duplicate_line", "bad_date", "missing_key", "unknown_enum", "bad_encoding"),
    "invoices": (
        "duplicate_line",
        "bad_date",
        "missing_key",
        "unknown_enum",
        "due_before_issue",
        "overpaid",
    ),
}
_FAULT_COLUMN = {  # source: fault kind -> index of the column it damages
    "transactions": {
        "bad_date": 3,
        "negative_amount": 8,
        "missing_amount": 8,
        "missing_key": 0,
        "unknown_enum": 11,
        "bad_encoding": 6,
    },
    "interactions": {"bad_date": 2, "missing_key": 0, "unknown_enum": 3, "bad_encoding": 5},
    "crm_customers": {"bad_date": 8, "missing_key": 0, "unknown_enum": 10, "bad_encoding": 3},
    "invoices": {
        "bad_date": 3,
        "missing_key": 0,
        "unknown_enum": 9,
        "due_before_issue": 4,
        "overpaid": 7,
    },
}
_BAD_ENUMS = {
    "transactions": ("pending??", "shipped", "unknown"),
    "interactions": ("page_vew", "click??", "bot_hit"),
    "crm_customers": ("maybe", "yes?", "2"),
    "invoices": ("pending", "settled??", "lost"),
}
_BAD_DATES = ("31/02/2026", "yesterday", "2026-13-45 10:00:00")
# Stands for the invalid byte until the file is encoded (the csv module works on text).
_BAD_BYTE_MARK = "\ue000"


# --- Data model ------------------------------------------------------------------------


@dataclass
class GenerationReport:
    """What `generate` wrote; `rows == clean_rows + sum(faults)` per source."""

    rows: dict[str, int] = field(default_factory=dict)
    clean_rows: dict[str, int] = field(default_factory=dict)
    faults: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    # Ground truth of the invoices: customer_id -> on_time, late, drifting or write_off.
    payment_behaviour: dict[str, str] = field(default_factory=dict)
    # Per campaign with a control group: customers selected and the true uplift generated.
    campaign_uplift: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class _Customer:
    archetype: str
    first_name: str
    last_name: str
    email: str
    country: str
    city: str
    postcode: str
    birth_date: str
    acquisition: str
    opt_in: bool
    loyalty: bool
    channel: str  # preferred order channel
    favourites: tuple[str, ...]  # preferred categories
    app_user: bool
    order_days: list[int]
    signup_ts: int = 0
    active_to: int = 0  # last day with spontaneous web activity
    customer_id: str = ""
    orders: list[_Order] = field(default_factory=list)


@dataclass(slots=True)
class _Order:
    ts: int
    ref: str
    channel: str
    lines: list[tuple[tuple[str, str, int], int, int]]  # (product, quantity, discount cents)
    customer: _Customer | None
    status: str = "completed"
    return_ts: int = -1
    return_line: int = -1
    order_id: str = ""


@dataclass(slots=True)
class _Campaign:
    campaign_id: str
    name: str
    channel: str
    start_day: int
    end_day: int
    cost_per_contact: float
    fixed_cost: int
    offer: str
    response_rate: float
    reach: float
    reminders: int = 0  # follow-up contacts of the non-responders
    control_share: float = 0.0  # share of the selected customers held out as a control group


@dataclass(slots=True)
class _Contact:
    campaign: _Campaign
    customer: _Customer
    ts: int
    response_ts: int = -1
    order_id: str = ""
    is_control: bool = False  # held out: not contacted, its purchases measure the baseline


class _Clock:
    """Timestamps are int seconds since midnight of the first data day (may be negative)."""

    def __init__(self, end_date: date, days: int) -> None:
        self.start = end_date - timedelta(days=days - 1)
        self.days = days
        self.last_day = days - 1
        self.end_ts = days * DAY - 1
        self._dates: dict[int, str] = {}
        self.season = [_season_weight(self.start + timedelta(days=d)) for d in range(days)]
        self.accept = sum(self.season) / days / _SEASON_MAX

    def date(self, day: int) -> str:
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = (self.start + timedelta(days=day)).isoformat()
        return text

    def ts(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return f"{self.date(day)} {hour:02d}:{minute:02d}:{second:02d}"

    def month(self, seconds: int) -> str:
        return self.date(seconds // DAY)[:7]


_SEASON_MAX = 2.0


def _season_weight(day: date) -> float:
    """Relative order intensity: Black Friday to Christmas, summer and winter sales."""
    month, dom = day.month, day.day
    if (month == 11 and dom >= 20) or (month == 12 and dom <= 24):
        return 2.0
    if (month == 6 and dom >= 20) or month == 7:
        return 1.6
    if (month == 1 and dom >= 8) or (month == 2 and dom <= 4):
        return 1.3
    return 1.0


def _rng(seed: int, name: str) -> random.Random:
    """An independent, reproducible stream per concern (string seeds hash with SHA-512)."""
    return random.Random(f"{seed}:{name}")


# --- Customers -------------------------------------------------------------------------


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower().translate(_FOLD) if ch.isascii() and ch.isalnum())


def _unique_email(rng: random.Random, first: str, last: str, country: str, used: set) -> str:
    f, last_slug = _slug(first), _slug(last)
    local = rng.choice(
        (
            f"{f}.{last_slug}",
            f"{f[0]}{last_slug}",
            f"{f}_{last_slug}",
            f"{f}.{last_slug}{rng.randint(1, 99)}",
            f"{last_slug}.{f}",
        )
    )
    domain = rng.choice(_DOMAINS[country])
    email = f"{local}@{domain}"
    while email in used:
        email = f"{local}{rng.randint(2, 999)}@{domain}"
    used.add(email)
    return email


def _city(rng: random.Random, country: str) -> tuple[str, str]:
    if country == "GB":
        city, outward = rng.choice(_GB_CITIES)
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        inward = f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        return city, f"{rng.choice(outward)} {inward}"
    city, low, high = rng.choice(_CITIES[country])
    return city, f"{rng.randint(low, high):0{_POSTCODE_WIDTH[country]}d}"


def _birth_date(rng: random.Random, clock: _Clock) -> str:
    if rng.random() < 0.05:
        return ""
    end = clock.start + timedelta(days=clock.last_day)
    age_days = int(rng.triangular(18 * 366, 85 * 365, 38 * 365))
    return (end - timedelta(days=age_days)).isoformat()


def _preferred_channel(rng: random.Random, acquisition: str) -> str:
    if acquisition in ("store", "marketplace") and rng.random() < 0.7:
        return acquisition
    return rng.choices(ORDER_CHANNELS, weights=_PREFERRED_CHANNEL_WEIGHTS)[0]


def _make_profile(rng: random.Random, archetype: str, clock: _Clock, used: set) -> _Customer:
    country = rng.choice(_COUNTRY_POOL)
    firsts, lasts = _NAMES[country]
    first, last = rng.choice(firsts), rng.choice(lasts)
    city, postcode = _city(rng, country)
    acquisition = rng.choices(ACQUISITION_CHANNELS, weights=_ACQUISITION_WEIGHTS)[0]
    return _Customer(
        archetype=archetype,
        first_name=first,
        last_name=last,
        email=_unique_email(rng, first, last, country, used),
        country=country,
        city=city,
        postcode=postcode,
        birth_date=_birth_date(rng, clock),
        acquisition=acquisition,
        opt_in=rng.random() < (0.75 if archetype == "loyal" else 0.6),
        loyalty=rng.random() < _LOYALTY_RATE[archetype],
        channel=_preferred_channel(rng, acquisition),
        favourites=tuple(rng.sample(_CATEGORY_NAMES, rng.randint(1, 3))),
        app_user=rng.random() < 0.25,
        order_days=_order_days(rng, archetype, clock),
    )


def _seasonal_day(rng: random.Random, clock: _Clock, low: int, high: int) -> int:
    """A day in [low, high] drawn with the seasonal weights (rejection sampling)."""
    season = clock.season
    while True:
        day = rng.randint(low, high)
        if rng.random() * _SEASON_MAX < season[day]:
            return day


def _rhythm(rng: random.Random, clock: _Clock, first: int, last: int, gap: float) -> list[int]:
    """Order days every `gap` days on average between first and last, thinned by season."""
    step = gap * clock.accept  # candidates are denser; thinning brings the mean back to gap
    season, days = clock.season, []
    day = first + rng.random() * step
    while day <= last:
        if rng.random() * _SEASON_MAX < season[int(day)]:
            days.append(int(day))
        day += step * rng.uniform(0.5, 1.5)
    return days or [_seasonal_day(rng, clock, first, last)]


def _order_days(rng: random.Random, archetype: str, clock: _Clock) -> list[int]:
    last = clock.last_day
    start = 0 if rng.random() < 0.7 else rng.randrange(max(1, clock.days // 2))
    if archetype == "prospect":
        return []
    if archetype == "loyal":
        return _rhythm(rng, clock, start, last, rng.uniform(14, 42))
    if archetype == "regular":
        return _rhythm(rng, clock, start, last, rng.uniform(60, 120))
    if archetype == "occasional":
        return _rhythm(rng, clock, start, last, 365 / rng.uniform(1, 4))
    if archetype == "lapsed":
        stop = max(last - rng.randint(180, 540), min(last, 30))
        return _rhythm(rng, clock, min(start, stop), stop, rng.uniform(20, 60))
    if archetype == "new":
        days = [max(0, last - rng.randrange(90))]
        while len(days) < 3 and rng.random() < 0.4 and days[-1] + 7 <= last:
            days.append(rng.randint(days[-1] + 7, min(last, days[-1] + 40)))
        return days
    return [_seasonal_day(rng, clock, 0, last)]  # one_off


def _signup_ts(rng: random.Random, customer: _Customer, clock: _Clock) -> int:
    """Prospects sign up any time; buyers before their first order (often long before)."""
    if not customer.order_days:
        return rng.randint(-2 * 365 * DAY, clock.end_ts)
    first = customer.order_days[0] * DAY
    if customer.archetype == "new" or (first > 30 * DAY and rng.random() < 0.5):
        return first - rng.randint(600, 30 * DAY)
    return first - rng.randint(600, 3 * 365 * DAY)


def _active_to(rng: random.Random, customer: _Customer, clock: _Clock) -> int:
    last, days = clock.last_day, customer.order_days
    if customer.archetype == "lapsed":
        return min(last, days[-1] + rng.randint(0, 60))
    if customer.archetype == "one_off":
        return min(last, days[0] + rng.randint(30, 240))
    if customer.archetype == "prospect" and rng.random() < 0.5:
        return min(last, max(0, customer.signup_ts // DAY) + rng.randint(30, 365))
    return last


def _make_customers(rng: random.Random, count: int, clock: _Clock, used: set) -> list:
    """Profiles, buying plans and signups; ids follow signup order like a real CRM."""
    archetypes = rng.choices(ARCHETYPES, weights=_ARCHETYPE_WEIGHTS, k=count)
    customers = [_make_profile(rng, archetype, clock, used) for archetype in archetypes]
    for customer in customers:
        customer.signup_ts = _signup_ts(rng, customer, clock)
        customer.active_to = _active_to(rng, customer, clock)
    customers.sort(key=lambda c: (c.signup_ts, c.email))
    for number, customer in enumerate(customers, 1):
        customer.customer_id = f"C{number:06d}"
    return customers


def _customer_rows(customers: list[_Customer], clock: _Clock) -> list[list[str]]:
    return [
        [
            c.customer_id,
            c.email,
            c.first_name,
            c.last_name,
            c.birth_date,
            c.postcode,
            c.city,
            c.country,
            clock.ts(c.signup_ts),
            c.acquisition,
            _bool(c.opt_in),
            _bool(c.loyalty),
        ]
        for c in customers
    ]


# --- Orders (transactions) -------------------------------------------------------------


def _make_products(rng: random.Random) -> dict[str, list[tuple[str, str, int]]]:
    """About 200 products in 8 categories with a stable price in cents (5-400 EUR)."""
    catalog: dict[str, list[tuple[str, str, int]]] = {name: [] for name in _CATEGORY_NAMES}
    for number in sorted(rng.sample(range(1, 1000), 200)):
        category = rng.choice(_CATEGORY_NAMES)
        low, high = _CATEGORIES[category]
        euros = int(low + (high - low) * rng.random() ** 1.8)
        cents = euros * 100 + rng.choice((99, 99, 90, 0, 50))
        catalog[category].append((f"P{number:04d}", category, cents))
    return catalog


def _messy_email(rng: random.Random, email: str) -> str:
    """How people type their e-mail at checkout: case and surrounding spaces vary."""
    roll = rng.random()
    if roll < 0.55:
        return email
    local, domain = email.split("@")
    title = ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()
    if roll < 0.75:
        return title
    if roll < 0.85:
        return email.upper()
    if roll < 0.95:
        return f" {title} "
    return f"{email} "


def _basket(rng: random.Random, catalog: dict, favourites: tuple, on_sale: bool) -> list:
    lines, seen = [], set()
    discount_rate = 0.4 if on_sale else 0.1
    for _ in range(rng.choice(_BASKET_SIZES)):
        favourite = rng.random() < 0.65
        category = rng.choice(favourites if favourite else _CATEGORY_NAMES)
        product = rng.choice(catalog[category])
        if product[0] in seen:
            continue
        seen.add(product[0])
        quantity = rng.choice(_QUANTITIES)
        discount = 0
        if rng.random() < discount_rate:
            discount = product[2] * quantity * rng.choice(_DISCOUNT_PCTS) // 100
        lines.append((product, quantity, discount))
    return lines


def _set_status(rng: random.Random, order: _Order, end_ts: int) -> None:
    """About 2% of orders are cancelled; about 4% get a returned line 3-20 days later."""
    roll = rng.random()
    if roll < _CANCEL_RATE:
        order.status = "cancelled"
    elif roll < _CANCEL_RATE + _RETURN_RATE and order.ts + 3 * DAY <= end_ts:
        order.return_ts = rng.randint(order.ts + 3 * DAY, min(order.ts + 20 * DAY, end_ts))
        order.return_line = rng.randrange(len(order.lines))


def _new_order(rng, catalog, clock, day, channel, ref, favourites, customer) -> _Order:
    ts = day * DAY + rng.choice(_ORDER_HOURS[channel]) * 3600 + rng.randrange(3600)
    lines = _basket(rng, catalog, favourites, clock.season[day] > 1)
    order = _Order(ts, ref, channel, lines, customer)
    _set_status(rng, order, clock.end_ts)
    return order


def _first_order_channel(c: _Customer) -> str:
    """The first order's channel depends on how loyal the customer turns out to be (store
    first buyers stay, marketplace first buyers rarely come back); drawn from a stream of
    its own so the other draws do not move."""
    rng = random.Random(f"first-channel:{c.email}")
    return rng.choices(ORDER_CHANNELS, weights=_FIRST_CHANNEL_WEIGHTS[c.archetype])[0]


def _customer_orders(rng: random.Random, customers: list, catalog: dict, clock: _Clock) -> list:
    orders = []
    for c in customers:
        for number, day in enumerate(c.order_days):
            channel = (
                c.channel
                if rng.random() < 0.7
                else rng.choices(ORDER_CHANNELS, weights=_PREFERRED_CHANNEL_WEIGHTS)[0]
            )
            if number == 0:
                channel = _first_order_channel(c)
            ref = c.customer_id if rng.random() < _CRM_ID_SHARE else _messy_email(rng, c.email)
            orders.append(_new_order(rng, catalog, clock, day, channel, ref, c.favourites, c))
    return orders


def _guest_orders(
    rng: random.Random, target: int, catalog: dict, clock: _Clock, used: set
) -> list[_Order]:
    """Guest checkouts: e-mails unknown to the CRM, each buying 1-3 times."""
    orders: list[_Order] = []
    while len(orders) < target:
        country = rng.choice(_COUNTRY_POOL)
        firsts, lasts = _NAMES[country]
        email = _unique_email(rng, rng.choice(firsts), rng.choice(lasts), country, used)
        count = min(rng.choice((1, 1, 1, 2, 2, 3)), target - len(orders))
        favourites = (rng.choice(_CATEGORY_NAMES),)
        for day in sorted(_seasonal_day(rng, clock, 0, clock.last_day) for _ in range(count)):
            ref = email if rng.random() < 0.8 else _messy_email(rng, email)
            channel = rng.choice(_GUEST_CHANNELS)
            orders.append(_new_order(rng, catalog, clock, day, channel, ref, favourites, None))
    return orders


def _make_orders(
    rng: random.Random, customers: list, catalog: dict, clock: _Clock, used: set
) -> list[_Order]:
    """All orders, numbered in time order; each customer's list is filled in time order."""
    orders = _customer_orders(rng, customers, catalog, clock)
    target = round(len(orders) * _GUEST_SHARE / (1 - _GUEST_SHARE))
    orders += _guest_orders(rng, target, catalog, clock, used)
    orders.sort(key=lambda o: (o.ts, o.ref))
    for number, order in enumerate(orders, 1):
        order.order_id = f"O{number:07d}"
        if order.customer is not None:
            order.customer.orders.append(order)
    return orders


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _transaction_rows(orders: list[_Order], clock: _Clock) -> list[tuple[int, list[str]]]:
    """(timestamp, row) per order line, sorted by time, order and line number."""
    keyed = []
    for o in orders:
        ts_text = clock.ts(o.ts)
        for number, (product, quantity, discount) in enumerate(o.lines, 1):
            keyed.append(
                (
                    o.ts,
                    o.order_id,
                    number,
                    [
                        o.order_id,
                        str(number),
                        o.ref,
                        ts_text,
                        o.channel,
                        product[0],
                        product[1],
                        str(quantity),
                        _money(product[2]),
                        _money(discount),
                        "EUR",
                        o.status,
                    ],
                )
            )
        if o.return_ts >= 0:
            product, quantity, discount = o.lines[o.return_line]
            number = len(o.lines) + 1
            keyed.append(
                (
                    o.return_ts,
                    o.order_id,
                    number,
                    [
                        o.order_id,
                        str(number),
                        o.ref,
                        clock.ts(o.return_ts),
                        o.channel,
                        product[0],
                        product[1],
                        str(quantity),
                        _money(product[2]),
                        _money(discount),
                        "EUR",
                        "returned",
                    ],
                )
            )
    keyed.sort(key=lambda k: k[:3])
    return [(k[0], k[3]) for k in keyed]


# --- Campaigns and contacts ------------------------------------------------------------


def _make_campaigns(rng: random.Random, clock: _Clock, count: int = 20) -> list[_Campaign]:
    """Campaigns of various channels; about half of them (not phone) hold out a control
    group and send no reminder, the others remind their non-responders."""
    campaigns = []
    starts = sorted(rng.randrange(clock.days) for _ in range(count))
    for number, start in enumerate(starts, 1):
        channel = rng.choices(CAMPAIGN_CHANNELS, weights=_CAMPAIGN_CHANNEL_WEIGHTS)[0]
        cost, response, reach = _CAMPAIGN_PROFILE[channel]
        start_date = clock.start + timedelta(days=start)
        theme = _CAMPAIGN_THEMES[start_date.month - 1]
        with_control = channel != "phone" and rng.random() < 0.5
        reminders = 0 if with_control else rng.randint(0, _CAMPAIGN_MAX_REMINDERS[channel])
        campaigns.append(
            _Campaign(
                campaign_id=f"K{number:03d}",
                name=f"{theme} {start_date.year} - {channel}",
                channel=channel,
                start_day=start,
                end_day=min(clock.last_day, start + max(rng.randint(3, 30), 7 * reminders)),
                cost_per_contact=rng.uniform(*cost),
                fixed_cost=rng.randrange(0, 5001, 50),
                offer=rng.choice(_OFFERS),
                response_rate=rng.uniform(*response),
                reach=rng.uniform(*reach),
                reminders=reminders,
                control_share=_CONTROL_SHARE if with_control else 0.0,
            )
        )
    return campaigns


def _campaign_rows(campaigns: list[_Campaign], clock: _Clock) -> list[list[str]]:
    return [
        [
            k.campaign_id,
            k.name,
            k.channel,
            clock.date(k.start_day),
            clock.date(k.end_day),
            f"{k.cost_per_contact:.3f}",
            f"{k.fixed_cost}.00",
            k.offer,
        ]
        for k in campaigns
    ]


def campaign_uplift(campaign: _Campaign, customer: _Customer, reminder: int = 0) -> float:
    """The probability that a contact makes the customer buy who would not have bought
    otherwise: the campaign's base rate x the archetype's reaction x the offer's appeal,
    kept by the archetype's share for every reminder."""
    strength, kept = _CAMPAIGN_REACTION[customer.archetype]
    offer = _OFFER_REACTION[_OFFERS.index(campaign.offer)]
    return min(0.9, campaign.response_rate * strength * offer * kept**reminder)


def _organic_order(customer: _Customer, start: int, end: int) -> _Order | None:
    """The customer's first order (not cancelled) in [start, end): bought anyway."""
    times = [o.ts for o in customer.orders]
    for order in customer.orders[bisect.bisect_left(times, start) :]:
        if order.ts >= end:
            return None
        if order.status != "cancelled":
            return order
    return None


class _CampaignOrders:
    """Orders a campaign causes: appended to the order list with the next free numbers."""

    def __init__(self, orders: list[_Order], catalog: dict, clock: _Clock) -> None:
        self.orders, self.catalog, self.clock = orders, catalog, clock
        self.next_number = len(orders) + 1

    def place(self, rng: random.Random, contact: _Contact) -> _Order | None:
        c, clock = contact.customer, self.clock
        ts = contact.ts + rng.randint(3600, 5 * DAY)
        if ts > clock.end_ts:
            return None
        channel = _CAMPAIGN_ORDER_CHANNEL[contact.campaign.channel]
        ref = c.customer_id if rng.random() < _CRM_ID_SHARE else _messy_email(rng, c.email)
        order = _new_order(rng, self.catalog, clock, ts // DAY, channel, ref, c.favourites, c)
        order.ts = ts
        if order.return_ts >= 0 and order.return_ts <= ts:
            order.return_ts = -1
        order.order_id = f"O{self.next_number:07d}"
        self.next_number += 1
        self.orders.append(order)
        bisect.insort(c.orders, order, key=lambda o: o.ts)
        return order


def _respond(rng: random.Random, contact: _Contact, reminder: int, placed: _CampaignOrders) -> None:
    """A contact is answered by an order within the response window: one the customer
    placed anyway (the baseline a control group measures) or one the campaign caused
    (with probability `campaign_uplift`). A held-out customer can only buy anyway."""
    window_end = contact.ts + _CAMPAIGN_RESPONSE_DAYS * DAY
    order = _organic_order(contact.customer, contact.ts + 1, window_end)
    uplift = campaign_uplift(contact.campaign, contact.customer, reminder)
    caused = not contact.is_control and order is None and rng.random() < uplift
    if caused:
        order = placed.place(rng, contact)
    if order is None:
        return
    contact.response_ts = max(contact.ts + 1, order.ts - rng.randint(0, 2 * 3600))
    contact.order_id = order.order_id


def _make_contacts(
    rng: random.Random, campaigns: list, customers: list, clock: _Clock, placed: _CampaignOrders
) -> tuple[list[_Contact], dict[str, dict]]:
    """Each campaign selects a share of eligible customers in its first days, holds out a
    control group when it has one, and reminds non-responders every few days.

    Returns the contacts and, per campaign with a control group, its true uplift: the mean
    over the selected customers of the chance the contact makes them buy when they would not
    have bought anyway, i.e. what contacted minus control response rates estimate."""
    contacts, truth = [], {}
    for campaign in campaigns:
        first_ts = campaign.start_day * DAY
        eligible = [
            c
            for c in customers
            if c.signup_ts < first_ts
            and (campaign.channel != "email" or c.opt_in)
            and (campaign.channel != "phone" or c.orders)
        ]
        chosen = rng.sample(eligible, int(len(eligible) * campaign.reach))
        window = min(3, campaign.end_day - campaign.start_day + 1)
        batch, expected = [], []
        for customer in chosen:
            day = campaign.start_day + rng.randrange(window)
            contact = _Contact(campaign, customer, day * DAY + rng.randint(8 * 3600, 20 * 3600))
            contact.is_control = rng.random() < campaign.control_share
            window_end = contact.ts + _CAMPAIGN_RESPONSE_DAYS * DAY
            if (
                campaign.control_share
                and contact.ts + _CAMPAIGN_RESPONSE_DAYS * DAY <= clock.end_ts
            ):
                bought = _organic_order(customer, contact.ts + 1, window_end) is not None
                expected.append(0.0 if bought else campaign_uplift(campaign, customer))
            _respond(rng, contact, 0, placed)
            batch.append(contact)
            for reminder in range(1, campaign.reminders + 1):
                if contact.is_control or contact.response_ts >= 0:
                    break
                ts = contact.ts + _CAMPAIGN_RESPONSE_DAYS * DAY + rng.randint(-3600, 3600)
                if ts > clock.end_ts:
                    break
                contact = _Contact(campaign, customer, ts)
                _respond(rng, contact, reminder, placed)
                batch.append(contact)
        if expected:
            truth[campaign.campaign_id] = {
                "selected": len(expected),
                "true_uplift": sum(expected) / len(expected),
            }
        batch.sort(key=lambda c: (c.ts, c.customer.customer_id))
        contacts.extend(batch)
    return contacts, truth


def _contact_rows(contacts: list[_Contact], clock: _Clock) -> list[list[str]]:
    return [
        [
            c.campaign.campaign_id,
            c.customer.customer_id,
            clock.ts(c.ts),
            _bool(c.response_ts >= 0),
            clock.ts(c.response_ts) if c.response_ts >= 0 else "",
            c.order_id,
            _bool(c.is_control),
        ]
        for c in contacts
    ]


# --- Interactions ----------------------------------------------------------------------


def _landing_url(rng: random.Random, catalog: dict, favourites: tuple) -> str:
    roll = rng.random()
    if roll < 0.6:
        return f"/products/{rng.choice(catalog[rng.choice(favourites)])[0]}"
    return f"/collections/{rng.choice(favourites)}" if roll < 0.85 else "/sale"


def _page_url(rng: random.Random, event_type: str, catalog: dict, favourites: tuple) -> str:
    if event_type == "product_page_view":
        category = rng.choice(favourites if rng.random() < 0.7 else _CATEGORY_NAMES)
        return f"/products/{rng.choice(catalog[category])[0]}"
    if event_type == "blog_view":
        return f"/blog/{rng.choice(_BLOG_SLUGS)}"
    if event_type == "pricing_page_view":
        return "/pricing"
    if event_type == "cart_add":
        return "/cart"
    return rng.choice(_FORM_URLS)


def _pre_order_events(rng: random.Random, c: _Customer, web: str, out: list) -> None:
    """Product views in the week before an order and a cart add just before web orders."""
    floor = max(0, c.signup_ts + 1)
    for order in c.orders:
        if rng.random() < (0.8 if order.channel == "web" else 0.45):
            for _ in range(rng.randint(1, 4)):
                ts = order.ts - rng.randint(300, 7 * DAY)
                if ts >= floor:
                    ref = c.customer_id if rng.random() < 0.8 else c.email
                    product = rng.choice(order.lines)[0][0]
                    out.append((ts, ref, "product_page_view", web, f"/products/{product}", ""))
        if order.channel == "web" and rng.random() < 0.7:
            ts = order.ts - rng.randint(60, 2 * 3600)
            if ts >= floor:
                out.append((ts, c.customer_id, "cart_add", web, "/cart", ""))


def _browse_events(
    rng: random.Random, c: _Customer, catalog: dict, first_day: int, web: str, out: list
) -> None:
    """Spontaneous visits while the customer is active; busier for active buyers."""
    span = c.active_to - first_day + 1
    if span <= 0:
        return
    count = int(_BROWSE_PER_30_DAYS[c.archetype] * span / 30 + rng.random())
    for _ in range(count):
        ts = (
            rng.randint(first_day, c.active_to) * DAY
            + rng.choice(_WEB_HOURS) * 3600
            + rng.randrange(3600)
        )
        event_type = rng.choice(_BROWSE_TYPES)
        ref = c.customer_id if rng.random() < 0.8 else c.email
        out.append(
            (ts, ref, event_type, web, _page_url(rng, event_type, catalog, c.favourites), "")
        )


def _newsletter_events(
    rng: random.Random,
    c: _Customer,
    catalog: dict,
    first_day: int,
    stop_day: int,
    end_ts: int,
    out: list,
) -> None:
    """Fortnightly newsletter opens and clicks (no campaign id); rare once inactive."""
    engaged = _NEWSLETTER_OPEN[c.archetype]
    day = first_day + (3 - first_day) % _NEWSLETTER_EVERY_DAYS
    while day <= stop_day:
        if rng.random() < (engaged if day <= c.active_to else 0.01):
            opened = day * DAY + 10 * 3600 + rng.randint(60, 2 * DAY)
            if opened <= end_ts:
                ref = c.customer_id if rng.random() < 0.8 else c.email
                out.append((opened, ref, "email_open", "email", "/email/open", ""))
                clicked = opened + rng.randint(5, 900)
                if rng.random() < 0.2 and clicked <= end_ts:
                    url = _landing_url(rng, catalog, c.favourites)
                    out.append((clicked, ref, "email_click", "email", url, ""))
        day += _NEWSLETTER_EVERY_DAYS


def _life_events(rng: random.Random, c: _Customer, first_day: int, last_day: int, out: list) -> int:
    """Webinars (with their sign-up form) and unsubscribes; returns the last newsletter day."""
    if c.active_to >= first_day + 10 and rng.random() < 0.05:
        for _ in range(rng.randint(1, 2)):
            day = rng.randint(first_day + 10, c.active_to)
            slug = rng.choice(_WEBINARS)
            form_ts = (day - rng.randint(2, 10)) * DAY + rng.choice(_WEB_HOURS) * 3600
            out.append((form_ts, c.customer_id, "form_submit", "web", "/webinars/register", ""))
            out.append(
                (
                    day * DAY + 18 * 3600 + rng.randrange(1800),
                    c.customer_id,
                    "webinar_attended",
                    "web",
                    f"/webinars/{slug}",
                    "",
                )
            )
    if c.opt_in:
        return last_day
    if first_day > last_day or rng.random() < 0.5:
        return -1  # never subscribed within the period
    day = rng.randint(first_day, last_day)
    ts = day * DAY + rng.choice(_WEB_HOURS) * 3600 + rng.randrange(3600)
    out.append((ts, c.customer_id, "unsubscribe", "email", "/email/unsubscribe", ""))
    return day - 1


def _campaign_email_events(
    rng: random.Random, contact: _Contact, catalog: dict, end_ts: int, out: list
) -> None:
    """Opens and clicks of e-mail campaigns; every responder clicked (at response_ts)."""
    c, campaign_id = contact.customer, contact.campaign.campaign_id
    if contact.response_ts >= 0:
        opened = max(contact.ts + 1, contact.response_ts - rng.randint(30, 1800))
        out.append((opened, c.customer_id, "email_open", "email", "/email/open", campaign_id))
        url = _landing_url(rng, catalog, c.favourites)
        out.append((contact.response_ts, c.customer_id, "email_click", "email", url, campaign_id))
        return
    opened = contact.ts + rng.randint(60, 2 * DAY)
    if rng.random() < 0.3 and opened <= end_ts:
        out.append((opened, c.customer_id, "email_open", "email", "/email/open", campaign_id))
        clicked = opened + rng.randint(5, 900)
        if rng.random() < 0.15 and clicked <= end_ts:
            url = _landing_url(rng, catalog, c.favourites)
            out.append((clicked, c.customer_id, "email_click", "email", url, campaign_id))


def _anonymous_events(rng: random.Random, count: int, catalog: dict, clock: _Clock) -> list:
    out = []
    for _ in range(count):
        day = _seasonal_day(rng, clock, 0, clock.last_day)
        ts = day * DAY + rng.choice(_WEB_HOURS) * 3600 + rng.randrange(3600)
        event_type = rng.choice(_ANONYMOUS_TYPES)
        channel = "app" if rng.random() < 0.2 else "web"
        out.append(
            (ts, "", event_type, channel, _page_url(rng, event_type, catalog, _CATEGORY_NAMES), "")
        )
    return out


def _make_interactions(
    rng: random.Random, customers: list, contacts: list, catalog: dict, clock: _Clock
) -> list[tuple[int, list[str]]]:
    """(timestamp, row) per event, sorted by time, numbered in that order."""
    events: list[tuple] = []
    for c in customers:
        first_day = max(0, c.signup_ts // DAY + 1)
        web = "app" if c.app_user and rng.random() < 0.6 else "web"
        _pre_order_events(rng, c, web, events)
        _browse_events(rng, c, catalog, first_day, web, events)
        stop_day = _life_events(rng, c, first_day, clock.last_day, events)
        _newsletter_events(rng, c, catalog, first_day, stop_day, clock.end_ts, events)
    for contact in contacts:
        if contact.campaign.channel == "email" and not contact.is_control:
            _campaign_email_events(rng, contact, catalog, clock.end_ts, events)
    anonymous = round(len(events) * _ANONYMOUS_SHARE / (1 - _ANONYMOUS_SHARE))
    events += _anonymous_events(rng, anonymous, catalog, clock)
    events.sort()
    return [
        (e[0], [f"E{number:08d}", e[1], clock.ts(e[0]), e[2], e[3], e[4], e[5]])
        for number, e in enumerate(events, 1)
    ]


# --- CRM notes -------------------------------------------------------------------------


def _note_ts(rng: random.Random, c: _Customer, kind: str, clock: _Clock) -> int:
    """Complaints follow an order, cancellation intent follows a lapsed customer's last one.

    Notes are written in office hours (8:00-19:00) unless that would precede the signup.
    """
    floor = min(max(0, c.signup_ts + 1), clock.end_ts)
    if kind == "complaint" and c.orders:
        order = c.orders[-1] if c.archetype == "lapsed" else rng.choice(c.orders)
        ts = order.ts + rng.randint(DAY, 10 * DAY)
    elif kind == "cancellation" and c.archetype == "lapsed":
        ts = c.orders[-1].ts + rng.randint(7 * DAY, 60 * DAY)
    else:
        ts = rng.randint(floor, clock.end_ts)
    ts = ts // DAY * DAY + rng.randint(8 * 3600, 19 * 3600)
    return min(max(ts, floor), clock.end_ts)


def _note_text(rng: random.Random, kind: str, c: _Customer) -> str:
    text = rng.choice(_NOTE_TEMPLATES[kind]).format(
        n=rng.choice((2, 3, 5, 10, 20, 50)), category=rng.choice(c.favourites)
    )
    roll = rng.random()
    if roll < 0.12:
        text = text.lower()
    elif roll < 0.2:
        text = text.translate(_FOLD)  # typed without accents
    elif roll < 0.23:
        text = text.upper()
    if rng.random() < 0.25:
        text = rng.choice(_NOTE_PREFIXES) + text
    return text


def _make_notes(rng: random.Random, customers: list, clock: _Clock) -> list[list[str]]:
    """About one note per five customers; the kind depends on the customer's archetype."""
    notes = []
    for _ in range(round(len(customers) / 5)):
        c = rng.choice(customers)
        kind = rng.choices(_NOTE_KINDS, weights=_NOTE_WEIGHTS[c.archetype])[0]
        ts = _note_ts(rng, c, kind, clock)
        ref = c.customer_id if rng.random() < 0.9 else c.email
        notes.append((ts, ref, rng.choice(_AUTHORS), _note_text(rng, kind, c)))
    notes.sort()
    return [
        [f"N{number:06d}", ref, clock.ts(ts), author, text]
        for number, (ts, ref, author, text) in enumerate(notes, 1)
    ]


# --- Invoices --------------------------------------------------------------------------

_INVOICED_SHARE = 0.35  # of customers with 3 orders or more: they pay on invoice
_PAYMENT_TERMS = (14, 30, 30, 30, 45)  # days from issue to due date, per customer
# How invoiced customers pay: most on time, some habitually late, a few later and later,
# a few stop paying. Drifting needs invoices both in the last months and before.
_PAYMENT_BEHAVIOURS = ("on_time", "late", "drifting", "write_off")
_PAYMENT_WEIGHTS = (64, 16, 14, 6)
_DRIFT_RECENT_DAYS = 120
_DISPUTE_RATE = 0.03
_PARTIAL_RATE = 0.03
_WRITE_OFF_AFTER_DAYS = 120  # overdue this long, an unpaid invoice is written off
_SETTLED_AFTER_DAYS = 60  # a dispute or an instalment plan is over within this


def _days_late(rng: random.Random, behaviour: str, day: int, clock: _Clock) -> int:
    """Days between due date and payment (negative: paid early)."""
    if behaviour == "late":
        return rng.randint(-2, 8) if rng.random() < 0.1 else rng.randint(20, 65)
    if behaviour == "drifting":  # on time a year ago, weeks late in the last months
        progress = max(0.0, 1 - (clock.last_day - day) / 365)
        return round(-4 + 60 * progress**2) + rng.randint(-3, 3)
    return rng.randint(1, 12) if rng.random() < 0.08 else rng.randint(-10, 0)


def _order_amount(order: _Order) -> int:
    return sum(product[2] * quantity - discount for product, quantity, discount in order.lines)


def _payment_behaviour(rng: random.Random, days: list[int], clock: _Clock) -> str:
    behaviour = rng.choices(_PAYMENT_BEHAVIOURS, weights=_PAYMENT_WEIGHTS)[0]
    recent = clock.last_day - _DRIFT_RECENT_DAYS
    early = clock.last_day - 365
    if behaviour == "drifting" and not (
        sum(d >= recent for d in days) >= 2 and sum(early <= d < recent for d in days) >= 2
    ):
        return "on_time"
    return behaviour


def _invoice_row(rng, order: _Order, behaviour: str, terms: int, unpaid: bool, clock) -> list:
    issue = order.ts // DAY + rng.randint(0, 2)
    due = issue + terms
    amount = _order_amount(order)
    paid_amount, paid_day, status = 0, -1, "open"
    roll = rng.random()
    # Disputes and instalments get settled in time: only recent invoices show them.
    recent = due > clock.last_day - _SETTLED_AFTER_DAYS
    if unpaid:  # the customer stopped paying
        status = "written_off" if due + _WRITE_OFF_AFTER_DAYS <= clock.last_day else "open"
    elif roll < _DISPUTE_RATE and recent:
        status = "disputed"
    else:
        paid_day = max(issue, due + _days_late(rng, behaviour, issue, clock))
        if paid_day > clock.last_day:
            paid_day = -1
        elif roll < _DISPUTE_RATE + _PARTIAL_RATE and recent:
            paid_amount, status = amount * rng.randint(3, 7) // 10, "partially_paid"
        else:
            paid_amount, status = amount, "paid"
    return [
        "",
        order.ref,
        order.order_id,
        clock.date(issue),
        clock.date(due),
        _money(amount),
        "EUR",
        _money(paid_amount) if paid_day >= 0 else "",
        clock.date(paid_day) if paid_day >= 0 else "",
        status,
    ]


def _make_invoices(
    rng: random.Random, customers: list[_Customer], clock: _Clock
) -> tuple[list[list[str]], dict[str, str]]:
    """One invoice per non-cancelled order of the customers who pay on invoice, as the
    accounting system shows them on `end_date`; and each such customer's behaviour."""
    keyed, behaviours = [], {}
    for c in customers:
        orders = [o for o in c.orders if o.status != "cancelled" and o.ts // DAY < clock.last_day]
        if len(orders) < 3 or rng.random() >= _INVOICED_SHARE:
            continue
        behaviour = _payment_behaviour(rng, [o.ts // DAY for o in orders], clock)
        behaviours[c.customer_id] = behaviour
        terms = rng.choice(_PAYMENT_TERMS)
        stops = len(orders) - rng.randint(1, 3) if behaviour == "write_off" else len(orders)
        for number, order in enumerate(orders):
            row = _invoice_row(rng, order, behaviour, terms, number >= stops, clock)
            keyed.append((row[3], order.order_id, row))
    keyed.sort(key=lambda k: k[:2])
    for number, (*_, row) in enumerate(keyed, 1):
        row[0] = f"F{number:07d}"
    return [row for *_, row in keyed], behaviours


def _due_before_issue(rng: random.Random, row: list[str]) -> None:
    issue = date.fromisoformat(row[3])
    row[4] = (issue - timedelta(days=rng.randint(1, 30))).isoformat()


def _overpaid(rng: random.Random, row: list[str]) -> None:
    amount = Decimal(row[5])
    row[7] = str(amount + Decimal(rng.randint(1, 5000)) / 100)


_INVOICE_FAULTS = {"due_before_issue": _due_before_issue, "overpaid": _overpaid}


# --- Faults and writing ----------------------------------------------------------------


class _FaultInjector:
    """Replaces a row by a broken one (or adds an identical copy) with probability `rate`."""

    def __init__(self, source: str, rate: float, rng: random.Random) -> None:
        self.source, self.rate, self.rng = source, rate, rng
        self.kinds = FAULT_KINDS[source]
        self.columns = _FAULT_COLUMN[source]
        self.counts = dict.fromkeys(self.kinds, 0)

    def apply(self, row: list[str]) -> list[list[str]]:
        rng = self.rng
        if rng.random() >= self.rate:
            return [row]
        kind = rng.choice(self.kinds)
        self.counts[kind] += 1
        if kind == "duplicate_line":
            return [row, row]
        bad = list(row)
        column = self.columns[kind]
        if kind == "bad_date":
            bad[column] = rng.choice(_BAD_DATES)
        elif kind == "negative_amount":
            bad[column] = "-" + bad[column]
            bad[11] = "completed"
        elif kind in ("missing_amount", "missing_key"):
            bad[column] = ""
        elif kind == "unknown_enum":
            bad[column] = rng.choice(_BAD_ENUMS[self.source])
        elif kind in _INVOICE_FAULTS:
            _INVOICE_FAULTS[kind](rng, bad)
        else:  # bad_encoding: a Latin-1 'é' inside a text field
            value = bad[column]
            where = value.find("e")
            bad[column] = (
                value + _BAD_BYTE_MARK
                if where < 0
                else value[:where] + _BAD_BYTE_MARK + value[where + 1 :]
            )
        return [bad]


def _write_csv(path: Path, header: tuple, rows: list, injector: _FaultInjector | None) -> int:
    """Write one CSV file; returns the number of data rows written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    if injector is None:
        writer.writerows(rows)
        written = len(rows)
    else:
        written = 0
        for row in rows:
            out = injector.apply(row)
            writer.writerows(out)
            written += len(out)
    data = buffer.getvalue().encode("utf-8")
    if injector is not None:
        data = data.replace(_BAD_BYTE_MARK.encode("utf-8"), b"\xe9")
    path.write_bytes(data)
    return written


def _by_month(keyed_rows: list[tuple[int, list[str]]], clock: _Clock) -> dict[str, list]:
    """Rows per calendar month; an empty source still gets its last month (header only)."""
    months: dict[str, list] = {} if keyed_rows else {clock.month(clock.end_ts): []}
    for ts, row in keyed_rows:
        months.setdefault(clock.month(ts), []).append(row)
    return months


def _write_source(
    out_dir: Path,
    source: str,
    files: dict[str, list],
    dirty_rate: float,
    seed: int,
    report: GenerationReport,
) -> None:
    folder = out_dir / source
    folder.mkdir(parents=True, exist_ok=True)
    if source in MONTHLY_SOURCES:  # drop months left by an earlier run with other dates
        for stale in folder.glob(f"{source}_????-??.csv"):
            stale.unlink()
    injector = None
    if dirty_rate > 0 and source in FAULT_KINDS:
        injector = _FaultInjector(source, dirty_rate, _rng(seed, f"faults:{source}"))
    rows, paths = 0, []
    for name in sorted(files):
        rows += _write_csv(folder / name, COLUMNS[source], files[name], injector)
        paths.append(f"{source}/{name}")
    faults = dict(injector.counts) if injector else {}
    report.rows[source] = rows
    report.clean_rows[source] = rows - sum(faults.values())
    report.faults[source] = faults
    report.files[source] = paths


def _bool(value: bool) -> str:
    return "true" if value else "false"


# --- Entry points ----------------------------------------------------------------------


def generate(
    out_dir: Path,
    customers: int = 10_000,
    seed: int = 42,
    *,
    end_date: date,
    days: int = 730,
    dirty_rate: float = 0.0,
) -> GenerationReport:
    """Write the landing sources under `out_dir`; same arguments, same bytes.

    `end_date` is the last day with data (score as of `end_date + 1`); nothing is dated
    after it. Transactions and interactions start on `end_date - days + 1`; CRM signups
    may be earlier (long-standing customers).
    """
    if customers < 1 or days < 1 or not 0.0 <= dirty_rate <= 1.0:
        raise ValueError("need customers >= 1, days >= 1 and 0 <= dirty_rate <= 1")
    if isinstance(end_date, datetime):
        end_date = end_date.date()
    out_dir = Path(out_dir)
    clock = _Clock(end_date, days)
    used_emails: set[str] = set()
    catalog = _make_products(_rng(seed, "products"))
    people = _make_customers(_rng(seed, "customers"), customers, clock, used_emails)
    orders = _make_orders(_rng(seed, "orders"), people, catalog, clock, used_emails)
    campaigns = _make_campaigns(_rng(seed, "campaigns"), clock)
    placed = _CampaignOrders(orders, catalog, clock)
    contacts, uplift = _make_contacts(_rng(seed, "contacts"), campaigns, people, clock, placed)
    events = _make_interactions(_rng(seed, "interactions"), people, contacts, catalog, clock)
    invoices, payment_behaviour = _make_invoices(_rng(seed, "invoices"), people, clock)
    outputs = {
        "transactions": {
            f"transactions_{month}.csv": rows
            for month, rows in _by_month(_transaction_rows(orders, clock), clock).items()
        },
        "interactions": {
            f"interactions_{month}.csv": rows for month, rows in _by_month(events, clock).items()
        },
        "crm_customers": {"crm_customers.csv": _customer_rows(people, clock)},
        "crm_notes": {"crm_notes.csv": _make_notes(_rng(seed, "notes"), people, clock)},
        "campaigns": {"campaigns.csv": _campaign_rows(campaigns, clock)},
        "campaign_contacts": {"campaign_contacts.csv": _contact_rows(contacts, clock)},
        "invoices": {"invoices.csv": invoices},
    }
    report = GenerationReport(payment_behaviour=payment_behaviour, campaign_uplift=uplift)
    for source in SOURCES:
        _write_source(out_dir, source, outputs[source], dirty_rate, seed, report)
    return report


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.demo_data",
        description="Write deterministic demo CSVs for the landing sources.",
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True, help="landing directory to write")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day with data, YYYY-MM-DD (default: yesterday)",
    )
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--dirty-rate", type=float, default=0.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> GenerationReport:
    args = _parse_args(argv)
    end_date = args.end_date or date.today() - timedelta(days=1)
    report = generate(
        args.out,
        customers=args.customers,
        seed=args.seed,
        end_date=end_date,
        days=args.days,
        dirty_rate=args.dirty_rate,
    )
    for source in SOURCES:
        faults = sum(report.faults[source].values())
        print(
            f"{source:<18} rows={report.rows[source]:>8} clean={report.clean_rows[source]:>8}"
            f" faults={faults:>5} files={len(report.files[source])}"
        )
    return report


if __name__ == "__main__":
    main()
