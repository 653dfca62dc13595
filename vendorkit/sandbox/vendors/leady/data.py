"""The Leady seed's vocabularies (Czech, Slovak and foreign companies, Czech names with feminine
forms, pages, the Czech Statistical Office's code lists), drawn with the seeded ``rng``. No I/O."""

from __future__ import annotations

from typing import Final

# Czech company names are "<industry> <place or family name>[ <suffix>] <legal form>", e.g.
# "Stavby Morava s.r.o." or "Elektro Novák Servis a.s.".
INDUSTRIES: Final[tuple[str, ...]] = (
    "Stavby", "Elektro", "Agro", "Kovo", "Dřevo", "Autodoprava", "Tiskárna", "Strojírny",
    "Plastika", "Energo", "Nábytek", "Logistika", "Projekt", "Soft", "Reklama", "Účetnictví",
    "Optika", "Pekárna", "Sklárny", "Zahradnictví", "Textil", "Chemie", "Potraviny", "Instalace",
)  # fmt: skip
PLACES: Final[tuple[str, ...]] = (
    "Morava", "Vysočina", "Šumava", "Pálava", "Kladno", "Vltava", "Ostrava", "Liberec", "Zlín",
    "Plzeň", "Pardubice", "Novák", "Svoboda", "Dvořák", "Horák", "Beneš", "Král", "Bohemia",
    "Krkonoše", "Beskydy", "Haná", "Slavkov", "Jizera", "Polabí",
)  # fmt: skip
SUFFIXES: Final[tuple[str, ...]] = (
    "Servis", "Group", "Holding", "Trade", "CZ", "Plus", "Invest", "Systems", "Partner",
)  # fmt: skip
LEGAL_FORMS: Final[tuple[str, ...]] = ("s.r.o.", "s.r.o.", "s.r.o.", "a.s.", "spol. s r.o.")

# Well-known names, Czech and foreign: (stem, legal form, country); the stem gives the domain.
COMPANIES: Final[tuple[tuple[str, str, str], ...]] = (
    ("Stavby Morava", "s.r.o.", "CZ"), ("Agro Vysočina", "a.s.", "CZ"),
    ("Elektro Novák", "s.r.o.", "CZ"), ("Pekárna U Mlýna", "s.r.o.", "CZ"),
    ("Strojírny Slavkov", "a.s.", "CZ"), ("TechSoft Brno", "s.r.o.", "CZ"),
    ("Dřevo Šumava", "spol. s r.o.", "CZ"), ("Vinařství Pálava", "s.r.o.", "CZ"),
    ("Autodoprava Horák", "s.r.o.", "CZ"), ("Kovo Kladno", "a.s.", "CZ"),
    ("Tiskárna Vltava", "s.r.o.", "CZ"), ("Sklárny Bohemia Crystal", "a.s.", "CZ"),
    ("Zahradnictví Květ", "v.o.s.", "CZ"), ("Datacentrum Ostrava", "s.r.o.", "CZ"),
    ("Moravská stavební", "a.s.", "CZ"), ("Krkonošská mlékárna", "a.s.", "CZ"),
    ("Projekt Plus", "s.r.o.", "CZ"), ("Inženýring Liberec", "s.r.o.", "CZ"),
    ("Účetnictví Svoboda", "s.r.o.", "CZ"), ("Lékárna U Anděla", "s.r.o.", "CZ"),
    ("Plastika Zlín", "a.s.", "CZ"), ("Energo Plzeň", "s.r.o.", "CZ"),
    ("Nábytek Dvořák", "s.r.o.", "CZ"), ("Pivovar Hradní", "a.s.", "CZ"),
    ("Reklamní agentura Kreativa", "s.r.o.", "CZ"), ("Logistika Pardubice", "s.r.o.", "CZ"),
    ("Optika Jasno", "s.r.o.", "CZ"), ("Hotel Beskydy", "a.s.", "CZ"),
    ("Kancelář Procházka a partneři", "v.o.s.", "CZ"), ("Chemie Litvínov Servis", "s.r.o.", "CZ"),
    ("Tatra Soft", "s.r.o.", "SK"), ("Považská strojárska", "a.s.", "SK"),
    ("Northbridge Analytics", "Ltd", "GB"), ("Blue Harbour Trading", "Ltd", "GB"),
    ("Alpen Logistik", "GmbH", "DE"), ("Rheinwerk Maschinenbau", "GmbH", "DE"),
    ("Danube Digital", "Kft.", "HU"), ("Vistula Foods", "Sp. z o.o.", "PL"),
    ("Greenfield Software", "Inc.", "US"), ("Nordic Packaging", "AB", "SE"),
)  # fmt: skip

# country -> (city, postal code)
CITIES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "CZ": (
        ("Praha", "110 00"), ("Brno", "602 00"), ("Ostrava", "702 00"), ("Plzeň", "301 00"),
        ("Liberec", "460 01"), ("Olomouc", "779 00"), ("České Budějovice", "370 01"),
        ("Hradec Králové", "500 02"), ("Pardubice", "530 02"), ("Zlín", "760 01"),
        ("Jihlava", "586 01"),
    ),
    "SK": (("Bratislava", "811 01"), ("Žilina", "010 01"), ("Košice", "040 01")),
    "GB": (("London", "EC1A 1BB"), ("Manchester", "M1 1AE")),
    "DE": (("München", "80331"), ("Köln", "50667")),
    "HU": (("Budapest", "1051"),),
    "PL": (("Kraków", "31-001"),),
    "US": (("Austin", "78701"),),
    "SE": (("Göteborg", "411 03"),),
}  # fmt: skip

STREETS: Final[tuple[str, ...]] = (
    "Národní", "Masarykova", "Husova", "Palackého", "Nádražní", "Průmyslová", "Údolní",
    "Havlíčkova", "Komenského", "Smetanova",
)  # fmt: skip

# (male first name, female first name)
FIRST_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("Jan", "Jana"), ("Petr", "Petra"), ("Martin", "Martina"), ("Tomáš", "Tereza"),
    ("Jiří", "Eva"), ("Pavel", "Lucie"), ("Lukáš", "Kateřina"), ("Jakub", "Veronika"),
    ("David", "Lenka"), ("Michal", "Markéta"), ("Ondřej", "Barbora"), ("Vojtěch", "Klára"),
)  # fmt: skip

# (masculine surname, feminine surname)
LAST_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"),
    ("Dvořák", "Dvořáková"), ("Černý", "Černá"), ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"), ("Veselý", "Veselá"), ("Horák", "Horáková"), ("Němec", "Němcová"),
    ("Marek", "Marková"), ("Pokorný", "Pokorná"), ("Král", "Králová"), ("Beneš", "Benešová"),
)  # fmt: skip

POSITIONS: Final[tuple[str, ...]] = (
    "jednatel", "ředitel", "obchodní ředitel", "marketingová manažerka", "vedoucí nákupu",
    "IT manager", "finanční ředitelka", "CEO", "Head of Sales", "office manager",
)  # fmt: skip

# The account's own tracked websites: (domain, name)
WEBSITES: Final[tuple[tuple[str, str], ...]] = (
    ("www.kovoprofil.cz", "Kovoprofil – firemní web"), ("eshop.kovoprofil.cz", "Kovoprofil e-shop"),
    ("blog.kovoprofil.cz", "Kovoprofil blog"), ("www.kovoprofil.sk", "Kovoprofil Slovensko"),
)  # fmt: skip

# (path, page title)
PAGES: Final[tuple[tuple[str, str], ...]] = (
    ("/", "Úvod"), ("/produkty/", "Produkty"), ("/produkty/ocelove-profily/", "Ocelové profily"),
    ("/produkty/hlinikove-systemy/", "Hliníkové systémy"), ("/cenik/", "Ceník"),
    ("/reference/", "Reference"), ("/o-nas/", "O nás"), ("/kontakt/", "Kontakt"),
    ("/kariera/", "Kariéra"), ("/poptavka/", "Nezávazná poptávka"),
    ("/blog/jak-vybrat-profil/", "Jak vybrat správný profil"),
    ("/ke-stazeni/katalog-2024.pdf", "Katalog 2024 (PDF)"),
)  # fmt: skip

# (referrer, source)
REFERRERS: Final[tuple[tuple[str | None, str], ...]] = (
    ("https://www.google.com/", "organic"), ("https://www.google.cz/", "organic"),
    ("https://www.seznam.cz/", "organic"), ("https://search.seznam.cz/", "organic"),
    ("https://www.linkedin.com/", "social"), ("https://www.facebook.com/", "social"),
    ("https://www.firmy.cz/", "referral"), ("https://www.heureka.cz/", "referral"),
    (None, "direct"), (None, "direct"),
)  # fmt: skip

BROWSERS: Final[tuple[str, ...]] = ("Chrome", "Chrome", "Edge", "Firefox", "Safari", "Opera")

# Turnover categories: (code, Czech name, English name)
TURNOVERS: Final[tuple[tuple[str, str, str], ...]] = (
    ("0", "neuvedeno", "not stated"),
    ("1", "do 1 mil. Kč", "up to CZK 1 million"),
    ("2", "1–10 mil. Kč", "CZK 1–10 million"),
    ("3", "10–30 mil. Kč", "CZK 10–30 million"),
    ("4", "30–60 mil. Kč", "CZK 30–60 million"),
    ("5", "60–200 mil. Kč", "CZK 60–200 million"),
    ("6", "200 mil.–1 mld. Kč", "CZK 200 million–1 billion"),
    ("7", "1–10 mld. Kč", "CZK 1–10 billion"),
    ("8", "nad 10 mld. Kč", "over CZK 10 billion"),
)

# Employee-count categories (codes of the Czech Statistical Office): (code, Czech, English)
MAGNITUDES: Final[tuple[tuple[str, str, str], ...]] = (
    ("000", "bez zaměstnanců", "no employees"),
    ("110", "1–5 zaměstnanců", "1–5 employees"),
    ("120", "6–9 zaměstnanců", "6–9 employees"),
    ("210", "10–19 zaměstnanců", "10–19 employees"),
    ("220", "20–24 zaměstnanců", "20–24 employees"),
    ("230", "25–49 zaměstnanců", "25–49 employees"),
    ("240", "50–99 zaměstnanců", "50–99 employees"),
    ("310", "100–199 zaměstnanců", "100–199 employees"),
    ("320", "200–249 zaměstnanců", "200–249 employees"),
    ("330", "250–499 zaměstnanců", "250–499 employees"),
    ("340", "500–999 zaměstnanců", "500–999 employees"),
    ("410", "1000–1499 zaměstnanců", "1000–1499 employees"),
    ("420", "1500–1999 zaměstnanců", "1500–1999 employees"),
    ("430", "2000–2499 zaměstnanců", "2000–2499 employees"),
    ("510", "10000 a více zaměstnanců", "10000 or more employees"),
)

# NACE codes with Czech names, for companies' main activity.
NACE: Final[tuple[tuple[str, str], ...]] = (
    ("41200", "Výstavba bytových a nebytových budov"),
    ("25110", "Výroba kovových konstrukcí a jejich dílů"),
    ("62010", "Programování"), ("46900", "Nespecializovaný velkoobchod"),
    ("49410", "Silniční nákladní doprava"), ("10710", "Výroba pekařských a cukrářských výrobků"),
    ("69200", "Účetnické a auditorské činnosti"), ("73110", "Činnosti reklamních agentur"),
    ("55100", "Ubytování v hotelích a podobných ubytovacích zařízeních"), ("11050", "Výroba piva"),
)  # fmt: skip
