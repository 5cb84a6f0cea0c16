"""Every `moulin-hubspot` process collects its youngest generation less often once it has its app
(`hubspot_app.memory`): a sync's short-lived objects are freed by reference counting, not by the collector.
Where glibc is the C library, its mmap threshold stays fixed."""
import gc
import platform
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from hubspot_app import memory
from hubspot_app.cli import load_app


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    yield
    gc.set_threshold(*saved)


def test_a_cli_process_tunes_its_memory_once_its_app_is_built(thresholds, monkeypatch, tmp_path):
    for name, value in {"SECRET_KEY": "k", "HUBSPOT_CLIENT_ID": "c", "HUBSPOT_CLIENT_SECRET": "s",
                        "APP_BASE_URL": "https://app.test", "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
                        "QUEUE_PATH": str(tmp_path / "queue.sqlite3"), "QUEUE_IMMEDIATE": "1"}.items():
        monkeypatch.setenv(name, value)
    app = load_app()
    assert app.extensions["moulin.config"].app_base_url == "https://app.test"
    assert gc.get_threshold() == (memory.YOUNG_THRESHOLD, 10, 10)  # the older generations keep their ratios


def test_a_process_whose_settings_are_wrong_stops_before_touching_the_collector(thresholds, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(Exception, match="configuration: SECRET_KEY is required"):
        load_app()
    assert gc.get_threshold() == (700, 10, 10)


# Run in a process of its own: no other thread allocates between the two readings, and this one's allocator
# keeps its settings.
_LARGE_BLOCK_AFTER_A_LARGE_FREE = """
import ctypes
from hubspot_app import memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
if TUNE:
    memory.tune()
libc.free(libc.malloc(1 << 20))  # by default this free raises glibc's threshold to 1 MiB
mapped = libc.mallinfo2().hblks
block = libc.malloc(512 << 10)
print(libc.mallinfo2().hblks - mapped)  # 1: mapped on its own, given back when freed; 0: from the heap
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting: other C libraries have none")
@pytest.mark.parametrize("tune,mapped", [(True, "1"), (False, "0")])
def test_after_tune_glibc_keeps_serving_large_blocks_with_mmap_after_a_large_free(tune, mapped):
    script = f"TUNE = {tune}\n" + _LARGE_BLOCK_AFTER_A_LARGE_FREE
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert answer.stdout.strip() == mapped
