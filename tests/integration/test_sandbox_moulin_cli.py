import subprocess
import sys

import requests


def test_cli_serves_the_sample_store_and_prints_its_url_and_key():
    command = [sys.executable, "-c", "from hubspot_app.cli import main; main()", "sandbox", "moulin", "--port", "0",
               "--orders", "25", "--seed", "3", "--bad-records", "0.2", "--store", "pro", "--api-key", "k-42"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        url = lines[1].split("base URL:")[1].strip()
        assert lines[2].split("API key:")[1].strip() == "k-42"
        assert requests.get(f"{url}/ping", headers={"X-Moulin-Api-Key": "k-42"}, timeout=5).json()["store"] == "pro"
        page = requests.get(f"{url}/orders", params={"limit": 5}, headers={"X-Moulin-Api-Key": "k-42"}, timeout=5)
        assert len(page.json()["data"]) == 5 and page.json()["data"][0]["store"] == "pro"
    finally:
        process.terminate()
        process.wait(timeout=10)
