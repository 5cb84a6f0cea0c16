from hubspot_app.domain.planner import CONTACT_COMPANY, LINE_ITEM_DEAL, Work, plan, waves


def test_waves_keep_dependencies_apart():
    work = Work()
    work.upsert("contacts", "a@x", {})
    work.upsert("products", "SKU", {})
    work.upsert("deals", "b2c:1", {})
    work.upsert("line_items", "b2c:1:1", {})
    work.associate(LINE_ITEM_DEAL, "b2c:1:1", "b2c:1")
    work.associate(CONTACT_COMPANY, "a@x", "b2c:co")
    work.archive("line_items", "9")
    grouped = [[(s.op, s.object_type) for s in wave] for wave in waves(plan(work))]
    assert grouped == [
        # independent of each other; archives name known ids only
        [("upsert", "contacts"), ("upsert", "products"), ("upsert", "deals"), ("archive", "line_items")],
        [("upsert", "line_items")],  # needs the products' ids
        [("associate", "contacts"), ("associate", "line_items")],  # needs every id
    ]


def test_line_items_go_with_the_deals_when_no_product_is_written_and_nothing_archived():
    work = Work()
    work.upsert("deals", "b2c:1", {})
    work.upsert("line_items", "b2c:1:2", {})
    work.associate(LINE_ITEM_DEAL, "b2c:1:2", "b2c:1")
    grouped = [[(s.op, s.object_type) for s in wave] for wave in waves(plan(work))]
    assert grouped == [[("upsert", "deals"), ("upsert", "line_items")], [("associate", "line_items")]]
