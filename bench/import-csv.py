#!/usr/bin/env python3
"""A person list for `homeward persons import` (issue 8, docs/adr/0030, 0033).

    python3 bench/import-csv.py ROWS > list.csv

Deterministic (seeded). Every row has an external id, names (one in five in
another script too), sex, date of birth, nationality, phone, UCI and
passport number; one row in 1,000 has an impossible date (reported, not
imported) so the report path is measured too. About 100 bytes a row.
"""
import random
import sys

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
rng = random.Random(8)
given = ["Ana", "Ion", "Maria", "Ágnes", "József", "Olena", "Dmytro", "Fatima", "Ahmed",
         "Luis", "Camila", "Nguyen", "Amina", "Samuel", "Élodie", "Zsófia", "Oleksandr"]
family = ["Pop", "Horváth", "Kovács", "Petrenko", "Shevchenko", "Haddad", "Rodríguez",
          "Gómez", "Tran", "Okafor", "Mensah", "Nagy", "Ionescu", "Moreau", "Bondarenko"]
script = {"Petrenko": "Петренко", "Shevchenko": "Шевченко", "Haddad": "حداد",
          "Bondarenko": "Бондаренко", "Tran": "Trần"}
countries = ["HU", "RO", "UA", "MX", "CO", "NG", "GH", "VN", "SY", "MD", "FR", "HT"]
sexes = ["female", "male", "", "unknown"]
out = sys.stdout
out.write("external_id,given_names,family_name,original_script_name,sex,date_of_birth,"
          "nationality,phone,uci,passport_number\n")
for i in range(rows):
    f = rng.choice(family)
    other = script.get(f, "") if rng.random() < 0.2 else ""
    if i % 1000 == 999:
        dob = f"19{rng.randint(50, 99)}-02-30"
    else:
        dob = f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
    out.write(f"REF-{i:08},{rng.choice(given)},{f},{other},{rng.choice(sexes)},{dob},"
              f"{rng.choice(countries)},+1 416 555 {rng.randint(0, 9999):04},"
              f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)},"
              f"P{rng.randint(1000000, 9999999)}\n")
