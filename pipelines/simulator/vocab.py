"""Enumerations and word pools of the simulated domain (order = code used in numpy arrays).

The enumerations are the source's own (pipelines/vocabulary.py); their order here is the
simulator's numeric code for each value."""

from __future__ import annotations

import polars as pl

from pipelines import vocabulary

LINK_STATUSES = list(vocabulary.LINK_STATUSES)
FILING_FREQUENCIES = list(vocabulary.VAT_FILING_FREQUENCIES)
MONTHLY, QUARTERLY, ANNUAL, NO_FILING = range(4)

ROLES = list(vocabulary.ROLES)
ACCESS_LEVELS = list(vocabulary.ACCESS_LEVELS)

CATEGORIES = list(vocabulary.CATEGORIES)
SALES, PURCHASE, RECEIPT, MOVEMENT_REPORT, OTHER = range(5)

DOCUMENT_TYPES = list(vocabulary.DOCUMENT_TYPES)
INVOICE, CREDIT_NOTE, RECEIPT_TYPE, BANK_STATEMENT, OTHER_TYPE = range(5)

INTAKE_CHANNELS = list(vocabulary.INTAKE_CHANNELS)
UPLOAD, EMAIL, PEPPOL, MOBILE, PLATFORM_NETWORK, BANK_FEED = range(6)

ACCOUNTING_STATUSES = list(vocabulary.ACCOUNTING_STATUSES)
CLIENT_ACTION_NEEDED, QUEUED, READY_TO_PROCESS, PROCESSED, ERROR = range(5)

BUSINESS_STATUSES = ["AWAITING_VALIDATION", "UNPAID", "FULLY_PAID", "DRAFT", "VALIDATED"]
AWAITING_VALIDATION, UNPAID, FULLY_PAID, DRAFT_BUSINESS, VALIDATED = range(5)

ENUM_DTYPES = {
    "category": pl.Enum(CATEGORIES),
    "document_type": pl.Enum(DOCUMENT_TYPES),
    "intake_channel": pl.Enum(INTAKE_CHANNELS),
    "accounting_status": pl.Enum(ACCOUNTING_STATUSES),
    "business_status": pl.Enum(BUSINESS_STATUSES),
}

COUNTRIES = ["BE", "NL", "LU", "FR", "DE", "PL"]
COUNTRY_WEIGHTS = [0.70, 0.11, 0.06, 0.06, 0.05, 0.02]
# Per country: probabilities of MONTHLY, QUARTERLY, ANNUAL, NONE.
FREQUENCY_WEIGHTS = {
    "BE": [0.28, 0.62, 0.02, 0.08],
    "NL": [0.15, 0.75, 0.05, 0.05],
    "LU": [0.25, 0.35, 0.35, 0.05],
    "FR": [0.60, 0.30, 0.05, 0.05],
    "DE": [0.50, 0.35, 0.10, 0.05],
    "PL": [0.80, 0.20, 0.00, 0.00],
}
# Country filing day per frequency (MONTHLY, QUARTERLY, ANNUAL); 31 = last day of the month.
COUNTRY_DEADLINE_DAYS = {
    "BE": (20, 25, 20),
    "NL": (31, 31, 31),
    "LU": (15, 15, 15),
    "DE": (10, 10, 10),
    "PL": (25, 25, 25),
    "FR": (19, 19, 19),
}
# VAT rates (percent) and their weights per country.
VAT_RATES = {
    "BE": ([21.0, 6.0, 0.0], [0.80, 0.12, 0.08]),
    "NL": ([21.0, 9.0, 0.0], [0.80, 0.15, 0.05]),
    "LU": ([17.0, 8.0, 3.0], [0.80, 0.12, 0.08]),
    "FR": ([20.0, 5.5, 10.0], [0.80, 0.10, 0.10]),
    "DE": ([19.0, 7.0, 0.0], [0.85, 0.12, 0.03]),
    "PL": ([23.0, 8.0, 5.0], [0.85, 0.10, 0.05]),
}

# The first spaces get these names, so Unicode is always on show.
SHOWCASE_SPACE_NAMES = [
    ("Brasserie Ça Va BV", "BE"),
    ("Müller GmbH", "DE"),
    ("Zoë's Bakkerij", "BE"),
    ("Łódź Trading Sp. z o.o.", "PL"),
    ("Atelier Lumière SRL", "BE"),
    ("Café 't Hoekske", "BE"),
    ("Société Générale de Plâtrerie SARL", "FR"),
    ("Øresund Logistics BV", "NL"),
]
NAME_STEMS = [
    "Van den Broeck",
    "Peeters",
    "De Smedt",
    "Janssens",
    "Lefèvre",
    "Öztürk",
    "Dubois",
    "Vermeulen",
    "Ça Va",
    "Zoë",
    "Bäcker",
    "Kowalczyk",
    "Gonçalves",
    "Nguyễn",
    "Maes",
    "Claes",
    "Wouters",
    "Mertens",
    "El Idrissi",
    "Schäfer",
    "Dupré",
    "Søndergaard",
]
NAME_TRADES = [
    "Bakkerij",
    "Brasserie",
    "Garage",
    "Consult",
    "Bouw",
    "Immo",
    "Logistics",
    "Atelier",
    "Architecten",
    "Tandartsenpraktijk",
    "Boulangerie",
    "Transport",
    "Dakwerken",
    "Coiffure",
    "IT Services",
    "Elektriciteit",
    "Pâtisserie",
    "Handel",
]
LEGAL_FORMS = {
    "BE": ["BV", "NV", "SRL", "SA", "CommV"],
    "NL": ["B.V.", "N.V.", "V.O.F."],
    "LU": ["S.à r.l.", "S.A."],
    "FR": ["SARL", "SAS", "EURL"],
    "DE": ["GmbH", "UG", "KG"],
    "PL": ["Sp. z o.o.", "S.A."],
}
COUNTERPARTIES = [
    "Proximus",
    "Electrabel",
    "Luminus",
    "Colruyt",
    "Delhaize",
    "Brico",
    "Hubo",
    "Telenet",
    "Fluvius",
    "Aquafin",
    "De Watergroep",
    "Bol.com",
    "Coolblue",
    "Makro",
    "Metro AG",
    "Société Générale",
    "Crédit Agricole",
    "Würth",
    "Würth België",
    "Hornbach",
    "Škoda Auto",
    "Café Zürich",
    "Boulangerie Lefèvre",
    "Garage Dupré",
    "Smörgås Catering",
    "Łukasz Transport",
    "Électricité Ñandú",
    "Ölbrenner GmbH",
    "Ørsted",
    "Ikea",
    "Amazon EU S.à r.l.",
    "Microsoft Ireland",
    "Google Ireland Ltd",
    "Shell",
    "TotalEnergies",
    "Q8",
    "Sodexo",
    "Mediamarkt",
    "Vandemoortele",
    "Beaulieu",
    "Etex",
    "Bpost",
    "DHL Express",
    "PostNL",
]
BANKS = ["KBC Bank", "BNP Paribas Fortis", "ING België", "Belfius", "Argenta", "Crelan"]

# Team members: (display name, email local part, roles).
TEAM = [
    ("Sofie Peeters", "sofie.peeters", ["ADMINISTRATOR", "ACCOUNTANT"]),
    ("Jérôme Dubois", "jerome.dubois", ["ADMINISTRATOR"]),
    ("Marleen Janssens", "marleen.janssens", ["CLIENT_MANAGER"]),
    ("Ahmed El Amrani", "ahmed.elamrani", ["CLIENT_MANAGER", "ACCOUNTANT"]),
    ("Zoë Vermeulen", "zoe.vermeulen", ["ACCOUNTANT"]),
    ("Łukasz Nowak", "lukasz.nowak", ["ACCOUNTANT"]),
    ("Anaïs Lefèvre", "anais.lefevre", ["ACCOUNTANT"]),
    ("Pieter De Smet", "pieter.desmet", ["ACCOUNTANT"]),
    ("Søren Møller", "soren.moller", ["ACCOUNTANT"]),
    ("Inês Gonçalves", "ines.goncalves", ["ACCOUNTANT"]),
    ("Thomas Müller", "thomas.muller", ["ACCOUNTANT"]),
    ("Elif Yılmaz", "elif.yilmaz", ["ACCOUNTANT"]),
]
INACTIVE_MEMBER = 9  # left the firm; their assignments ended
UNASSIGNED_ACCOUNTANT = 10  # a new hire who sees nothing yet
CLIENT_MANAGER_MEMBERS = [2, 3]
WORKING_ACCOUNTANTS = [0, 3, 4, 5, 6, 7, 8, 11]
EMAIL_DOMAIN = "firm.example"
