"""The SQLite writer turnstile: a receiver waits for the worker's chunk, never the reverse order of priority."""
import threading
import time

from hubspot_app.webhooks.writer_priority import WriterPriority


def test_receiver_waits_for_a_worker_chunk_and_receivers_share(tmp_path):
    priority = WriterPriority(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    released = threading.Event()

    def worker_chunk():
        with priority.worker():
            time.sleep(0.15)
        released.set()

    thread = threading.Thread(target=worker_chunk)
    thread.start()
    time.sleep(0.03)
    with priority.receiver():
        assert released.is_set()
        with WriterPriority(f"sqlite:///{tmp_path / 'app.sqlite3'}").receiver():
            pass  # a second receiver does not wait for the first
    thread.join()


def test_worker_waits_while_a_receiver_writes(tmp_path):
    priority = WriterPriority(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    order = []

    def worker_chunk():
        with priority.worker():
            order.append("worker")

    with priority.receiver():
        thread = threading.Thread(target=worker_chunk)
        thread.start()
        time.sleep(0.05)
        order.append("receiver done")
    thread.join()
    assert order == ["receiver done", "worker"]


def test_no_turnstile_outside_sqlite_files():
    assert WriterPriority("postgresql+psycopg://u@127.0.0.1/db").path is None
    assert WriterPriority("sqlite:///:memory:").path is None
