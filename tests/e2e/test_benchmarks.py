"""Smoke tests of the benchmarks: each runs at a tiny size, as its documented command, and prints one JSON
object whose fields are present and agree with each other. Speed is never asserted here (bench/ prints it)."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from bench.harness import HUBSPOT_RATE
from bench.processes import own_redis_db
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.e2e

MACHINE = {"loadavg_1m", "loadavg_5m", "loadavg_15m", "cpus"}
TEST_REDIS_URL = "redis://127.0.0.1:6379/11"  # a db of its own: other runs share this Redis
NOW = ("--settle-s", "0")  # measure at once: the figures of a smoke run are never compared


def bench(name: str, *args: str) -> dict:
    run = subprocess.run([sys.executable, "-m", f"bench.{name}", *args, "--json"], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    assert set(result["machine"]) == MACHINE and result["machine"]["cpus"] >= 1
    return result


def test_sync_reports_calls_floor_cpu_and_the_sync_process_memory():
    result = bench("sync", "--orders", "120", *NOW)
    assert result["database"] == "sqlite"
    assert 0 < result["orders_synced"] <= 120 and result["sync_errors"] == 0
    assert result["objects"]["deals"] == result["orders_synced"]
    assert sum(result["by_endpoint"].values()) == result["hubspot_calls"] > 0
    assert result["call_ratio"] == round(result["hubspot_calls"] / result["minimal_calls"], 4)
    assert result["floor_s"] == round(result["hubspot_calls"] / HUBSPOT_RATE, 2)
    # wall_s and floor_s are rounded to 0.01 s: on a short run that alone moves the ratio by 0.005 / floor_s
    assert result["floor_ratio"] == pytest.approx(result["wall_s"] / result["floor_s"], rel=0.01,
                                                  abs=0.006 / result["floor_s"])
    assert result["cpu_ms_per_order"] * result["orders_synced"] / 1000 == pytest.approx(result["cpu_s"], abs=0.006)
    assert result["rss_mb"] >= result["rss_start_mb"] > 0
    assert [n for n, _ in result["rss_by_orders"]][-1] == result["orders_synced"]
    assert result["standins_cpu_s"] >= 0
    assert result["error_rows"] == {"recorded": 0, "open": 0}  # nothing refused, no association left out


@pytest.mark.db
@pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_POSTGRES_URL")
def test_sync_on_postgresql_says_so_and_syncs_every_order():
    result = bench("sync", "--orders", "120", "--database-url", POSTGRES_URL, *NOW)
    assert result["database"] == "postgresql" and result["sync_errors"] == 0
    assert 0 < result["orders_synced"] <= 120 and result["objects"]["deals"] == result["orders_synced"]
    assert result["error_rows"] == {"recorded": 0, "open": 0}


def test_sync_on_both_targets_counts_orders_in_its_minimal_plan():
    result = bench("sync", "--orders", "120", "--target", "both", *NOW)
    assert result["target"] == "both" and result["sync_errors"] == 0
    assert result["objects"]["orders"] == result["objects"]["deals"] == result["orders_synced"] > 0
    assert result["associations"]["orders->deals"] == result["orders_synced"]
    assert result["associations"]["order_lines->orders"] == result["associations"]["line_items->deals"]
    assert result["call_ratio"] == round(result["hubspot_calls"] / result["minimal_calls"], 4)


def test_portals_reports_every_portal_against_its_floor():
    # one job at a time: SQLite has one writer (several processes: run it with --database-url on PostgreSQL)
    result = bench("portals", "--portals", "2", "--orders", "40", "--workers", "1", "--threads", "1",
                   "--redis-url", TEST_REDIS_URL, *NOW)
    assert result["finished_portals"] == 2 and result["sync_errors"] == 0
    assert len({p["portal_id"] for p in result["portals"]}) == 2
    for portal in result["portals"]:
        assert portal["finished"] and portal["outcome"] == "done" and portal["calls"] > 0
        assert portal["floor_s"] == round(portal["calls"] / HUBSPOT_RATE, 2)
        assert portal["wall_s"] > 0 and portal["queued_s"] >= 0
        assert portal["no_call_s"] >= 0 and portal["paced_s"] == pytest.approx(portal["wall_s"] - portal["no_call_s"],
                                                                              abs=0.011)
    assert result["floor_ratio_max"] == max(p["floor_ratio"] for p in result["portals"])
    assert result["cpu_s"]["workers"] > 0 and result["cpu_ms_per_order"] > 0
    cpu = result["cpu_s"]
    assert cpu["sandbox"] > 0 and cpu["stores"] > 0 and cpu["bench"] >= 0  # the stand-ins answered, and cost CPU
    assert cpu["other"] == pytest.approx(cpu["capacity"] - cpu["workers"] - cpu["sandbox"] - cpu["stores"]
                                         - cpu["bench"], abs=0.05)
    assert result["queue"] == "redis"


def test_realtime_measures_every_edit_until_its_deal_changes():
    result = bench("realtime", "--edits", "3", "--rate", "3", "--orders", "60", *NOW)
    assert result["deals_changed"] == result["edits"] == result["distinct_orders"] == 3
    assert result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    assert result["calls_per_edit"] == round(result["hubspot_calls"] / 3, 3)
    # each edit added a line to a different order: three deals had to change, and the new line items
    plan = result["minimal_plan"]
    assert plan["objects"]["deals"] == 3
    assert 0 < plan["associations"]["line_items->deals"] <= plan["objects"]["line_items"]
    assert result["call_ratio"] == round(result["hubspot_calls"] / result["minimal_calls"], 3)
    # gathered per second of sending, the plan can only cost more calls than the whole run at once
    assert result["minimal_calls_windowed"] >= result["minimal_calls"]
    assert result["call_ratio_windowed"] == round(result["hubspot_calls"] / result["minimal_calls_windowed"], 3)
    batches = result["batches"]
    assert 1 <= batches["count"] <= 3 and batches["events_max"] <= 3
    assert {"waited", "read", "load", "plan", "calls", "write", "batch"} <= set(batches["steps_ms"])
    assert result["receipt_ms"]["p50"] is not None
    assert result["queue"] == "sqlite"


def test_reconcile_bounds_the_calls_for_vanished_orders():
    result = bench("reconcile", "--vanished", "4", "--orders", "60", "--deleted-in-hubspot", "3", *NOW)
    assert result["archived"] == 4 and result["touched"]["deals"] == 4
    assert result["bound_calls"] == math.ceil(4 / 100) * len(result["touched"]) + result["baseline_calls"]
    assert result["bound_ratio"] == round(result["hubspot_calls"] / result["bound_calls"], 3)
    assert sum(result["by_endpoint"].values()) == result["hubspot_calls"]
    in_hubspot = result["deleted_in_hubspot"]  # re-created, each with fresh line items (old ones archived)
    assert in_hubspot["healed"] == 3 and in_hubspot["touched"]["deals"] == 3 and in_hubspot["touched"]["line_items"]
    assert sum(in_hubspot["by_endpoint"].values()) == in_hubspot["hubspot_calls"]


def test_moulin_pages_compares_both_ways_of_reading_a_page():
    result = bench("moulin_pages", "--records", "40", "--repeats", "2")
    for name in ("orders", "customers"):
        figures = result[name]
        assert figures["record_by_record_us"] > 0 and figures["one_pass_us"] > 0 and figures["page_bytes"] > 0
        assert figures["ratio"] == pytest.approx(figures["one_pass_us"] / figures["record_by_record_us"], abs=0.002)


def webhooks_during_backfill(*database: str) -> dict:
    result = bench("webhooks", "--during-backfill", "--orders", "200", "--batches", "4", "--web-workers", "1",
                   "--clients", "2", *database)
    assert result["during_backfill"] and result["backfill_orders"] == 200
    assert 0 < result["processed"] <= result["events"] and result["failed_requests"] == 0
    assert result["p50_ms"] <= result["p99_ms"] and result["processed_per_s"] > 0
    return result


def test_webhooks_during_backfill_on_sqlite():
    assert webhooks_during_backfill()["database"] == "sqlite"


@pytest.mark.db
@pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_POSTGRES_URL")
def test_webhooks_during_backfill_on_postgresql():
    assert webhooks_during_backfill("--database-url", POSTGRES_URL)["database"] == "postgresql"


def test_a_redis_db_that_another_process_still_uses_is_refused():
    import redis

    url = "redis://127.0.0.1:6379/12"  # a db of its own, empty
    leftover = redis.Redis.from_url(url)
    leftover.ping()  # connected to it, as the workers of an earlier run left running would be
    try:
        with pytest.raises(SystemExit, match="1 other client"):
            with own_redis_db(url):
                pass
    finally:
        leftover.close()
    with own_redis_db(url) as used:  # once they are gone, the run goes on
        assert used == url


def test_webhook_drain_reports_the_workers_rate_and_cpu_alone():
    result = bench("webhook_drain", "--deliveries", "3")
    assert result["events"] == 300 and result["deliveries_taken"] == 3 and result["jobs"] >= 1
    assert result["events_per_s"] > 0 and result["cpu_us_per_event"] > 0 and result["database"] == "sqlite"
