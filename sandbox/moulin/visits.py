"""Generated web visits: HubSpot's tracking cookie on recent checkouts, and the page views seen before them."""
from __future__ import annotations

import hashlib
import random

# Recent web checkouts carry a tracking context; HubSpot's source categories for the visits before them.
TRACKED_DAYS, TRACKED_SHARE = 30, 0.6
VISIT_SOURCES = (("ORGANIC_SEARCH", "google"), ("PAID_SEARCH", "moulin-hiver"), ("SOCIAL_MEDIA", "Instagram"),
                 ("EMAIL_MARKETING", "newsletter"), ("REFERRALS", "www.marmiton.org"), ("DIRECT_TRAFFIC", ""))
PAGES = ("/", "/farines", "/farines/t65", "/recettes/pain-de-campagne", "/moulin", "/panier")


class VisitGenerator:
    """Part of `Generator` (generator.py): uses its seed, draws (`unit`, `rng`) and span (`end_us`)."""

    def hutk_of(self, visitor: str) -> str:
        """The `hubspotutk` cookie of a visitor: 32 hex characters, as HubSpot's tracking code sets it."""
        return hashlib.blake2b(f"{self.seed}:hutk:{visitor}".encode(), digest_size=16).hexdigest()

    def tracking(self, j: int, k: int | None, created_us: int) -> dict | None:
        """A share of recent web checkouts carry the visitor's tracking context (docs/attribution.md)."""
        if created_us < self.end_us - TRACKED_DAYS * 86_400_000_000 or self.unit("tracked", j) >= TRACKED_SHARE:
            return None
        return {"hutk": self.hutk_of(f"cus{k}" if k is not None else f"guest{j}"),
                "page_uri": "https://boutique.moulin.example/commande/confirmation",
                "page_name": "Commande confirmée", "ip_address": f"203.0.113.{self.rng('tracking', j).randint(1, 254)}"}

    def visits(self, hutk: str, before_us: int) -> list[dict]:
        """What HubSpot's tracking code recorded for that cookie before the checkout: 1-6 page views."""
        rng = random.Random(int(hutk[:16], 16))
        source, drill_down = rng.choice(VISIT_SOURCES)
        first = before_us - rng.randint(1, 20) * 86_400_000_000
        return [{"url": f"https://boutique.moulin.example{rng.choice(PAGES)}", "at": (first + n * 600_000_000) // 1000,
                 "source": source if n == 0 else "DIRECT_TRAFFIC", "drillDown1": drill_down if n == 0 else ""}
                for n in range(rng.randint(1, 6))]
