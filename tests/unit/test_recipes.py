"""docs/recipes.md names only properties that exist: ours from our setup, HubSpot's from its documented defaults.

Each recipe (a `## ` section) lists the properties it uses in a table `Object | Property | Defined by | Source`.
A "Moulin setup" row must be a property our setup creates on that object; a "HubSpot" row one of HubSpot's
default properties of that object as the sandbox documents them (`sandbox/hubspot/schema.py`, sources in its
README), with a link to HubSpot's developer docs. A property the recipe's text names must be in its table.
"""
import re
from pathlib import Path

import pytest

from hubspot_app.domain.schema import PROPERTIES
from sandbox.hubspot.schema import default_property_specs

RECIPES = Path(__file__).resolve().parents[2] / "docs" / "recipes.md"
HEADER = "| Object | Property | Defined by | Source |"
OURS = {object_type: {spec["name"] for spec in specs} for object_type, specs in PROPERTIES.items()}
OBJECTS = ("contacts", "deals", "line_items", "orders", "carts")


def _defaults(object_type: str) -> set[str]:
    try:
        return {name for name, *_ in default_property_specs(object_type)}
    except KeyError:
        return set()


def _recipes() -> dict[str, str]:
    sections = re.split(r"^## ", RECIPES.read_text(), flags=re.MULTILINE)[1:]
    return {section.splitlines()[0]: section for section in sections}


def _rows(section: str) -> list[tuple[str, str, str, str]]:
    lines = section.splitlines()
    start = lines.index(HEADER)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        object_type, prop, owner, source = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((object_type, prop.strip("`"), owner, source))
    return rows


KNOWN = set().union(*OURS.values(), *(_defaults(o) for o in OBJECTS))


def test_every_recipe_asked_for_is_there():
    assert {"Abandoned-cart email", "Post-purchase welcome", "Re-engagement after N days",
            "Report: orders and revenue over time", "Report: average order value",
            "Report: new vs returning customers", "Report: top products",
            "Report: abandoned-cart recovery"} <= set(_recipes())


@pytest.mark.parametrize("title", sorted(_recipes()))
def test_each_property_a_recipe_names_exists_where_its_table_says(title):
    rows = _rows(_recipes()[title])
    assert rows, f"{title}: no properties table"
    for object_type, prop, owner, source in rows:
        assert object_type in OBJECTS, f"{title}: unknown object {object_type}"
        if owner == "Moulin setup":
            assert prop in OURS.get(object_type, set()), f"{title}: our setup creates no {object_type}.{prop}"
        else:
            assert owner == "HubSpot", f"{title}: {prop} is defined by 'Moulin setup' or 'HubSpot'"
            assert prop in _defaults(object_type), f"{title}: {object_type}.{prop} is not a HubSpot default property"
            assert "(https://developers.hubspot.com/docs/" in source, f"{title}: {prop} needs a HubSpot docs link"


@pytest.mark.parametrize("title", sorted(_recipes()))
def test_a_property_named_in_a_recipe_text_is_in_its_table(title):
    section = _recipes()[title]
    prose = section[:section.index(HEADER)]
    # Anything shaped like one of our or HubSpot's property names counts, known or not: a misspelt one must fail.
    named = {token for token in re.findall(r"`([a-z][a-z0-9_]*)`", prose)
             if token in KNOWN or token.startswith(("hs_", "moulin_"))}
    assert named <= {prop for _, prop, _, _ in _rows(section)}
