import threading
from dataclasses import dataclass, field

import pytest

from hubspot_app.hubspot.errors import PermanentError, Unauthorized
from hubspot_app.domain.batch import Built
from hubspot_app.sync.executor import execute
from hubspot_app.domain.planner import DEAL_CONTACT, LINE_ITEM_DEAL, Work


@dataclass
class Result:
    ids: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


class FakeCrm:
    """Upserts hand out ids; an input whose key is in `poison` makes the whole batch fail, like HubSpot's
    upsert-by-email does for one invalid contact."""

    def __init__(self, poison=(), partial=()):
        self.poison, self.partial = set(poison), set(partial)
        self.calls, self.associated, self.archived = [], [], []

    def upsert(self, object_type, id_property, inputs):
        self.calls.append((object_type, list(inputs)))
        if self.poison & {k for k, _ in inputs}:
            raise PermanentError("Property values were not valid")
        return Result(ids={k: f"{object_type}-{k}" for k, _ in inputs if k not in self.partial},
                      errors={k: "INVALID: bad" for k, _ in inputs if k in self.partial})

    def associate(self, from_type, to_type, type_id, pairs):
        self.associated += [(from_type, to_type, a, b) for a, b in pairs]
        return []

    def archive(self, object_type, ids):
        self.archived += [(object_type, i) for i in ids]


def built(work):
    return Built(work)


def test_whole_batch_refusal_is_bisected_down_to_the_bad_input():
    work = Work()
    for i in range(8):
        work.upsert("contacts", f"c{i}@x", {})
    crm = FakeCrm(poison={"c5@x"})
    outcome = execute(crm, built(work), {})
    assert set(outcome.errors) == {("contacts", "c5@x")}
    assert len(outcome.ids) == 7
    assert len(crm.calls) == 7  # 8 -> 4+4 -> (2+2) -> (1+1): 1 + 2 + 2 + 2


def test_207_errors_are_per_record_and_dependants_are_incomplete():
    work = Work()
    work.upsert("contacts", "bad@x", {})
    work.upsert("deals", "b2c:1", {})
    work.associate(DEAL_CONTACT, "b2c:1", "bad@x")
    outcome = execute(FakeCrm(partial={"bad@x"}), built(work), {})
    assert outcome.errors == {("contacts", "bad@x"): "INVALID: bad"}
    assert ("deals", "b2c:1") in outcome.ids
    assert ("deals", "b2c:1") in outcome.incomplete  # its hash is not stored, so it is retried


def test_line_items_get_product_ids_and_associations_use_known_ids():
    work = Work()
    work.upsert("line_items", "b2c:1:l1", {"name": "x"})
    work.associate(LINE_ITEM_DEAL, "b2c:1:l1", "b2c:1")
    work.archive("line_items", "old-1")
    b = built(work)
    b.line_products["b2c:1:l1"] = "SKU-1"
    crm = FakeCrm()
    outcome = execute(crm, b, {("products", "SKU-1"): "p-9", ("deals", "b2c:1"): "d-7"})
    assert crm.calls == [("line_items", [("b2c:1:l1", {"name": "x", "hs_product_id": "p-9"})])]
    assert crm.associated == [("line_items", "deals", "line_items-b2c:1:l1", "d-7")]
    assert crm.archived == [("line_items", "old-1")] and outcome.archived == {("line_items", "old-1")}


def test_unauthorized_is_not_bisected():
    class Revoked(FakeCrm):
        def upsert(self, *a):
            self.calls.append(a)
            raise Unauthorized("revoked", status=401)

    work = Work()
    work.upsert("contacts", "a@x", {})
    work.upsert("contacts", "b@x", {})
    crm = Revoked()
    with pytest.raises(Unauthorized):
        execute(crm, built(work), {})
    assert len(crm.calls) == 1


class SlowCrm(FakeCrm):
    """Each upsert holds its slot until `width` calls are in flight together (a barrier), so the test proves
    the executor keeps that many running, and counts the most ever running at once."""

    def __init__(self, width):
        super().__init__()
        self.width, self.running, self.most = width, 0, 0
        self.barrier = threading.Barrier(width, timeout=5)
        self.lock = threading.Lock()
        self.order = []

    def in_flight(self):
        return self.width

    def upsert(self, object_type, id_property, inputs):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.order.append(object_type)
        try:
            if object_type == "deals":
                self.barrier.wait()
            return super().upsert(object_type, id_property, inputs)
        finally:
            with self.lock:
                self.running -= 1


def test_calls_in_flight_follow_the_gateway_and_waves_keep_their_order():
    work = Work()
    for i in range(800):
        work.upsert("deals", f"b2c:{i}", {})
        work.upsert("line_items", f"b2c:{i}:1", {})
    crm = SlowCrm(width=4)
    outcome = execute(crm, built(work), {})
    assert len(outcome.ids) == 1600 and not outcome.errors
    assert crm.most == 4  # 8 deal batches: 4 at a time (the barrier), never more
    assert crm.order == ["deals"] * 8 + ["line_items"] * 8  # line items only once every deal is merged


def test_gateway_keeps_rate_times_latency_in_flight():
    from hubspot_app.hubspot.crm import MAX_IN_FLIGHT, MIN_IN_FLIGHT, CrmGateway
    from hubspot_app.hubspot.ratelimit import InProcessLimiter

    crm = CrmGateway(1, lambda _: "token", host="http://127.0.0.1:9", limiter=InProcessLimiter(100, 10.0))
    crm.latency_s = 0.4  # 10 requests/s x 0.4 s = 4 busy on average, x1.5 headroom
    assert crm.in_flight() == 6
    crm.latency_s = 0.02
    assert crm.in_flight() == MIN_IN_FLIGHT
    crm.latency_s = 5.0
    assert crm.in_flight() == MAX_IN_FLIGHT


class RemovingCrm(FakeCrm):
    """Records association removals; refuses to associate any pair whose deal id is in `dead`."""

    def __init__(self, dead=()):
        super().__init__()
        self.dead, self.unassociated, self.associate_calls = set(dead), [], 0

    def unassociate(self, from_type, to_type, pairs):
        self.unassociated += [(from_type, to_type, a, b) for a, b in pairs]

    def associate(self, from_type, to_type, type_id, pairs):
        self.associate_calls += 1
        return [f"VALIDATION_ERROR: deal {a} is gone" for a, _ in pairs if a in self.dead]


def test_a_deal_leaves_its_old_contact_unless_the_new_one_is_the_same_contact():
    work = Work()
    work.unassociate("deals", "contacts", "b2c:1", "c-old", "new@x")  # moved to another contact
    work.unassociate("deals", "contacts", "b2c:2", "c-same", "same@x")  # same contact: nothing to remove
    work.unassociate("deals", "contacts", "b2c:3", "c-guest", None)  # now a guest order
    crm = RemovingCrm()
    execute(crm, built(work), {("deals", "b2c:1"): "d1", ("deals", "b2c:2"): "d2", ("deals", "b2c:3"): "d3",
                               ("contacts", "new@x"): "c-new", ("contacts", "same@x"): "c-same"})
    assert crm.unassociated == [("deals", "contacts", "d1", "c-old"), ("deals", "contacts", "d3", "c-guest")]


def test_pending_pairs_go_in_one_call_and_a_refused_one_does_not_hold_back_the_others():
    work = Work()
    for deal in ("d1", "d2", "d3"):
        work.associate_ids(DEAL_CONTACT, deal, "c9")
    crm = RemovingCrm(dead={"d2"})
    outcome = execute(crm, built(work), {})
    assert crm.associate_calls == 1 + 3  # the batch, then each alone after HubSpot refused one
    assert outcome.linked_id_errors == {("d2", "c9"): "VALIDATION_ERROR: deal d2 is gone"}
    assert execute(RemovingCrm(), built(work), {}).linked_id_errors == {}


def test_carried_pairs_defer_their_owners_until_the_next_chunk_sends_them():
    first = Work()
    first.upsert("line_items", "b2c:1:l1", {})
    first.associate(LINE_ITEM_DEAL, "b2c:1:l1", "b2c:1")
    b = built(first)
    b.hashes[("line_items", "b2c:1:l1")] = "h1"
    crm = FakeCrm()
    outcome = execute(crm, b, {("deals", "b2c:1"): "d-1"}, carry=True)
    assert crm.associated == []  # not sent: carried
    assert outcome.deferred == {("line_items", "b2c:1:l1")} and not outcome.completed

    then = Work(carried=outcome.carried)
    then.upsert("line_items", "b2c:2:l1", {})
    then.associate(LINE_ITEM_DEAL, "b2c:2:l1", "b2c:2")
    after = execute(crm, built(then), {("deals", "b2c:2"): "d-2"})
    assert sorted(crm.associated) == [("line_items", "deals", "line_items-b2c:1:l1", "d-1"),
                                      ("line_items", "deals", "line_items-b2c:2:l1", "d-2")]
    assert after.completed == {("line_items", "b2c:1:l1"): "h1"} and not after.deferred


def test_a_refused_carried_pair_leaves_its_owner_incomplete():
    class Refusing(FakeCrm):
        def associate(self, from_type, to_type, type_id, pairs):
            return ["deal d-1 does not exist"]

    work = Work()
    work.upsert("line_items", "b2c:1:l1", {})
    work.associate(LINE_ITEM_DEAL, "b2c:1:l1", "b2c:1")
    carried = execute(FakeCrm(), built(work), {("deals", "b2c:1"): "d-1"}, carry=True).carried
    outcome = execute(Refusing(), built(Work(carried=carried)), {})
    assert outcome.incomplete == {("line_items", "b2c:1:l1"): "deal d-1 does not exist"}
    assert not outcome.completed  # its hash stays empty: the next sync of that order sends it again
