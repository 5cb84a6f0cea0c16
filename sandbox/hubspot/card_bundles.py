"""The card preview's bundles: crm_cards/ built with esbuild by the cards' own npm step.

`make card-preview` (which `make demo` runs) and the browser tests call the same
step, `npm run build:preview` in crm_cards/src/app/cards (see card_preview/build.mjs).
The output, card_preview/dist/<card uid>.js, is build output: never committed.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CARDS_DIR = ROOT / "crm_cards" / "src" / "app" / "cards"
DIST = Path(__file__).resolve().parent / "card_preview" / "dist"


@dataclass(frozen=True)
class Card:
    uid: str
    name: str
    location: str  # crm.record.sidebar | crm.record.tab


def project_cards() -> list[Card]:
    cards = [json.loads(path.read_text()) for path in sorted(CARDS_DIR.glob("*-hsmeta.json"))]
    return [Card(card["uid"], card["config"]["name"], card["config"]["location"]) for card in cards]


def bundle_path(uid: str) -> Path | None:
    path = DIST / f"{uid}.js"
    return path if path.is_file() and uid in {card.uid for card in project_cards()} else None


def build_card_bundles() -> None:
    """Install the cards' npm packages when missing (`npm ci`), then bundle every card."""
    steps = [["npm", "run", "--silent", "build:preview"]]
    if not (CARDS_DIR / "node_modules" / "esbuild").is_dir():
        steps.insert(0, ["npm", "ci", "--no-audit", "--no-fund", "--silent"])
    for step in steps:
        done = subprocess.run(step, cwd=CARDS_DIR, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(step)}` in {CARDS_DIR} failed:\n{done.stderr or done.stdout}")
