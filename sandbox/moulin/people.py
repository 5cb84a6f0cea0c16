"""Generated people: customers (emails, consent, addresses) and the B2B companies some of them buy for."""
from __future__ import annotations

from .catalogue import CITIES, COMPANY_FORMS, FIRST_NAMES, LAST_NAMES, NOTES, TAGS
from .formats import ascii_slug, iso


class PeopleGenerator:
    """Part of `Generator` (generator.py): uses its draws (`unit`, `rng`, `is_bad`), collections and the
    order ownership (`orders_of_customer`, `n_companies`, `b2b_share`)."""

    def company_of_customer(self, k: int) -> int | None:
        if self.unit("b2b", k) >= self.b2b_share:
            return None
        return int(self.unit("company", k) * self.n_companies)

    def base_email(self, k: int) -> str:
        rng = self.rng("customer", k)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = "entreprise.fr" if self.company_of_customer(k) is not None else rng.choice(
            ("exemple.fr", "courriel.fr", "laposte.net", "orange.fr"))
        return f"{ascii_slug(first)}.{ascii_slug(last)}.{k}@{domain}"

    def email_of(self, k: int) -> str | None:
        roll = self.unit("email", k)
        if roll < 0.08:
            return None  # shop customers without an email are normal (counter sales)
        if k > 0 and roll < 0.14:
            # Same person, second account: the address of customer k-1, typed in another case with spaces.
            return f"  {self.base_email(k - 1).upper()} "
        return self.base_email(k)

    def customer(self, k: int) -> dict:
        rng = self.rng("customer", k)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = self.company_of_customer(k)
        city, postcode = rng.choice(CITIES)
        col = self.collections["customers"]
        updated = col.updated_us(k)
        record = {
            "id": col.id_of(k), "email": self.email_of(k), "first_name": first, "last_name": last,
            "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "accepts_marketing": rng.random() < 0.4, "verified_email": rng.random() < 0.7,
            "tax_exempt": company is not None and rng.random() < 0.3,
            "kind": "b2b" if company is not None else "b2c",
            "company_id": self.collections["companies"].id_of(company) if company is not None else None,
            "addresses": [{"street": f"{rng.randint(1, 120)} rue {rng.choice(LAST_NAMES)}", "city": city,
                           "postcode": postcode, "region": None, "country": "FR"}],
            "tags": rng.sample(TAGS, rng.randint(0, 2)), "note": rng.choice(NOTES),
            "orders_count": len(self.orders_of_customer(k)),
            "created_at": iso(updated - rng.randint(0, 90 * 86_400) * 1_000_000), "updated_at": iso(updated),
        }
        record["consent"] = self.consent(k, record["accepts_marketing"], record["created_at"])
        if self.is_bad("customer", k):
            if rng.random() < 0.5:
                record["email"] = rng.choice(("jean.dupont@@exemple.fr", "pas-une-adresse", "élodie@", "a b@c.fr"))
            else:
                del record["created_at"]
        return record

    def consent(self, k: int, accepts: bool, at: str) -> dict:
        """The email-marketing consent the shop recorded, with when and where (the contract's `consent`)."""
        if accepts:
            state = "granted"
        else:
            state = "withdrawn" if self.unit("consent", k) < 0.5 else "unknown"
        return {"marketing_email": state, "changed_at": at if state != "unknown" else None,
                "source": "account" if state != "unknown" else None}

    def company(self, c: int) -> dict:
        rng = self.rng("company", c)
        col = self.collections["companies"]
        siren = _luhn_complete([rng.randint(0, 9) for _ in range(8)])
        siret = _luhn_complete(siren + [rng.randint(0, 9) for _ in range(4)])
        siren_n = int("".join(map(str, siren)))
        name = f"{rng.choice(COMPANY_FORMS)} {rng.choice(LAST_NAMES)} & Fils"
        city, postcode = rng.choice(CITIES)
        updated = col.updated_us(c)
        return {"id": col.id_of(c), "name": name, "siret": "".join(map(str, siret)),
                "vat_number": f"FR{(12 + 3 * (siren_n % 97)) % 97:02d}{siren_n:09d}",
                "domain": f"{ascii_slug(name)}.fr",
                "address": {"street": f"{rng.randint(1, 300)} avenue de la Gare", "city": city, "postcode": postcode,
                            "region": None, "country": "FR"},
                "created_at": iso(updated - rng.randint(0, 365 * 86_400) * 1_000_000), "updated_at": iso(updated)}


def _luhn_complete(digits: list[int]) -> list[int]:
    """Append the check digit that makes `digits` pass the Luhn check (as SIREN and SIRET do)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return digits + [(10 - total % 10) % 10]
