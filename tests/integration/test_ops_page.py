"""`hub serve`'s `/metrics` and `/ops` with the real broker, the page in Debian's headless Chromium: the chart
renders with data and a stopped consumer turns red."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from hub.api.app import create_app
from hub.settings import HubSettings, OpsSettings

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(infra: HubSettings) -> Iterator[tuple[str, str]]:
    """A hub serving /metrics and /ops, watching one group that committed once and stopped."""
    tag = f"page{uuid.uuid4().hex[:8]}"
    topic, group = f"{tag}.events", f"{tag}-stopped"
    settings = infra.model_copy(update={
        "ops": OpsSettings(lag_window_s=1.0, lag_keep_s=60, groups={group: [topic]}),
        "processors": infra.processors.model_copy(update={"app_id": f"{tag}-processors", "redis_prefix": f"{tag}:"}),
    })
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=15)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for _ in range(5):
        producer.produce(topic, b"x")
    producer.flush(10)
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": group})
    consumer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
    consumer.close()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield base, group
    finally:
        server.should_exit = True
        thread.join(10)


def test_metrics_are_openmetrics_with_lag_and_status(served: tuple[str, str]) -> None:
    base, group = served
    httpx.get(f"{base}/metrics", timeout=30)  # the first sample of the window
    time.sleep(1.2)
    r = httpx.get(f"{base}/metrics", timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    body = r.text
    assert body.rstrip().endswith("# EOF")
    assert f'kafka_consumergroup_lag{{consumergroup="{group}",partition="0",topic=' in body
    assert f'hub_consumergroup_status{{consumergroup="{group}",hub_consumergroup_status="STOP"}} 1' in body
    assert "# TYPE hub_dead_letters counter" in body
    assert "hub_source_state{" in body and "hub_http_request_duration_seconds_bucket" in body


@pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="needs chromium, chromium-driver")
def test_ops_page_draws_the_chart_and_a_stopped_group_is_red(served: tuple[str, str]) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, group = served
    httpx.get(f"{base}/ops/data", timeout=30)
    time.sleep(1.2)  # the window (1 s) passes with the committed offset still
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.get(f"{base}/ops")
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
        badge = driver.find_element(By.CSS_SELECTOR, f'#groups td[data-group="{group}"] span')
        assert badge.text == "STOP"
        assert badge.value_of_css_property("background-color") in ("rgba(198, 40, 40, 1)", "rgb(198, 40, 40)")
        canvas = driver.find_element(By.CSS_SELECTOR, "#lag-chart canvas")
        assert int(canvas.get_attribute("width") or 0) > 0
        points = driver.execute_script("return lagChart.data[0].length")
        assert points >= 2
        assert "uPlot" in driver.execute_script("return typeof uPlot === 'function' ? 'uPlot' : ''")
    finally:
        driver.quit()
