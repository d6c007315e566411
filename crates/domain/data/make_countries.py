"""Writes countries.csv and languages.csv (code, English name, French name)
from pycountry's ISO 3166-1 and ISO 639 tables and their gettext
translations. Run by hand when the tables change: `pip install pycountry`,
then `python3 make_countries.py` in this folder. Nothing runs it at build
or test time."""
import csv, gettext, pycountry

def table(path, rows, domain):
    fr = gettext.translation(domain, pycountry.LOCALES_DIR, languages=["fr"])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "en", "fr"])
        for code, name in sorted(rows):
            w.writerow([code, name, fr.gettext(name)])

table("countries.csv",
      [(c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries],
      "iso3166-1")
# Languages with a two-letter code, and the three-letter ones of the
# languages returnees of the pilot speak that have none (Romani).
langs = [(l.alpha_2, l.name) for l in pycountry.languages if hasattr(l, "alpha_2")]
langs += [(code, pycountry.languages.get(alpha_3=code).name) for code in ["rom"]]
table("languages.csv", langs, "iso639-3")
print(pycountry.__version__ if hasattr(pycountry, "__version__") else "pycountry")
