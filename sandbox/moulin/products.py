"""Generated catalogue records: the products with their sizes as variants, and the pickup points."""
from __future__ import annotations

from decimal import Decimal

from .catalogue import PICKUP_POINTS, PRODUCTS, TAGS
from .formats import iso, money


class ProductGenerator:
    """Part of `Generator` (generator.py): uses its draws (`rng`, `is_bad`), collections and `start_us`."""

    def product(self, p: int) -> dict:
        rng = self.rng("product", p)
        col = self.collections["products"]
        title, product_type, base_price, sizes = PRODUCTS[p]
        sku = f"MLN-{p:03d}"
        variants = [{"id": f"var_{p}_{v}", "sku": f"{sku}-{size.replace(' ', '')}", "title": size,
                     "price": money(Decimal(base_price) * Decimal(str(factor)))}
                    for v, (size, factor) in enumerate(sizes)]
        updated = col.updated_us(p)
        record = {"id": col.id_of(p), "sku": sku, "title": title, "product_type": product_type,
                  "description_html": f"<p>{title} du Moulin, moulu à la meule de pierre.</p>",
                  "vendor": "Moulin de la Côte", "tags": rng.sample(TAGS, rng.randint(0, 2)),
                  "image_url": f"https://images.moulin.example/{sku}.jpg", "price": variants[0]["price"],
                  "currency": "EUR", "published_at": iso(self.start_us), "variants": variants,
                  "created_at": iso(self.start_us), "updated_at": iso(updated)}
        if self.is_bad("product", p):
            record["currency"] = "EUROS"
        return record

    def pickup_point(self, i: int) -> dict:
        name, street, city, postcode = PICKUP_POINTS[i]
        return {"id": self.collections["pickup_points"].id_of(i), "name": name,
                "address": {"street": street, "city": city, "postcode": postcode, "region": None, "country": "FR"}}
