#!/usr/bin/python3
"""Writes shopify-orders.csv: a made-up shop's orders export laid out as Shopify's
(Admin > Orders > Export), one row per line item. An order's first row carries the
order-level columns (financial status, totals, payment and shipping); its later rows
repeat the order's Name, Email and Created at, carry their item's columns, and leave
the rest empty, Total among them. Newest order first, as the export lists them.

No real data: customers, emails (example.com, example.org, example.net) and products
are invented, drawn with a fixed seed.

Run: /usr/bin/python3 examples/clv/testdata/shopify.py
"""
import csv
import datetime
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261206
CUSTOMERS = 40
START = datetime.datetime(2024, 1, 1)
ACQUIRED_BY = datetime.datetime(2025, 3, 31)
END = datetime.datetime(2025, 6, 30, 23, 59)
PRODUCTS = [  # name, sku, price
    ("Linen tea towel", "TT-LIN", "12.00"),
    ("Stoneware mug", "MUG-ST", "19.50"),
    ("Olive wood board", "BRD-OW", "34.90"),
    ("Beeswax candle", "CND-BW", "8.75"),
    ("Enamel pan", "PAN-EN", "49.00"),
    ("Cotton apron", "APR-CT", "24.99"),
]
HEADER = ["Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
          "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
          "Discount Code", "Discount Amount", "Shipping Method", "Created at",
          "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku",
          "Billing Name", "Notes", "Id"]
FIRST = ["Ann", "Ben", "Carla", "Dev", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas",
         "Kira", "Luca", "Mona", "Nils", "Olga", "Pia", "Quentin", "Rosa", "Sven", "Tara"]
LAST = ["Lee", "Moreau", "Novak", "Ortiz", "Peters", "Quinn", "Rossi", "Schmidt"]


def offset(t):
    """Central European time, roughly: summer time from April to October."""
    return "+0200" if 4 <= t.month <= 10 else "+0100"


def stamp(t):
    return t.strftime("%Y-%m-%d %H:%M:%S ") + offset(t)


def main():
    rnd = random.Random(SEED)
    orders = []  # (created, email, billing name, items)
    for c in range(CUSTOMERS):
        first, last = FIRST[c % len(FIRST)], LAST[c * 7 % len(LAST)]
        email = f"{first.lower()}.{last.lower()}{c}@example.{['com', 'org', 'net'][c % 3]}"
        t = START + datetime.timedelta(seconds=rnd.randrange(int((ACQUIRED_BY - START).total_seconds())))
        while t < END:
            items = [(rnd.choice(PRODUCTS), rnd.choice([1, 1, 1, 2])) for _ in range(rnd.choice([1, 1, 2, 2, 3, 4]))]
            orders.append((t.replace(microsecond=0), email, f"{first} {last}", items))
            if rnd.random() < 0.25:  # the customer drops out
                break
            t += datetime.timedelta(days=rnd.expovariate(1 / 45), seconds=rnd.randrange(86400))
    orders.sort()
    rows = []
    for n, (t, email, billing, items) in enumerate(orders):
        name, oid = f"#{1001 + n}", 5100000000 + 7919 * n
        subtotal = sum(float(p[2]) * q for p, q in items)
        shipping = 0.0 if subtotal >= 50 else 4.90
        total = subtotal + shipping
        paid, fulfilled = t + datetime.timedelta(minutes=rnd.randrange(1, 30)), t + datetime.timedelta(days=2)
        note = "Please leave it at the door,\nthank you" if n % 29 == 7 else ""
        order_rows = []
        for k, ((product, sku, price), qty) in enumerate(items):
            item = [str(qty), product, price, sku]
            if k == 0:
                order_rows.append([name, email, "paid", stamp(paid), "fulfilled", stamp(fulfilled),
                                   rnd.choice(["yes", "no"]), "EUR", f"{subtotal:.2f}", f"{shipping:.2f}",
                                   f"{total - total / 1.2:.2f}", f"{total:.2f}", "", "0.00", "Standard",
                                   stamp(t)] + item + [billing, note, str(oid)])
            else:
                order_rows.append([name, email, "", "", "", "", "", "", "", "", "", "", "", "", "",
                                   stamp(t)] + item + ["", "", ""])
        rows.append(order_rows)
    with open(os.path.join(HERE, "shopify-orders.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for order_rows in reversed(rows):  # newest first
            w.writerows(order_rows)
    items = sum(len(o) - 1 for o in rows)
    print(f"{len(rows)} orders of {len({o[1] for o in orders})} customers, {items} later item rows")


main()
