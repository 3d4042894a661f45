"""The hall page end to end: Debian's headless Chromium against the hub served by uvicorn on loopback.

Why a real browser and a real server: what the page promises (the key only in sessionStorage, the
Chinese header values percent-encoded, masking shown as masked, problem+json read as Chinese) only
holds if a browser actually sends and renders it. Selenium drives Debian's chromium through
Debian's chromedriver, named explicitly; selenium-manager must never download a browser or driver
(SE_OFFLINE), which does not work on the hall networks nor here. The city is the window tests' one
(conftest.py), in a throwaway Redis.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from hub.settings import HubSettings
from hub.window.app import build_window, close, mount
from hub.window.config import WindowSettings
from hub.window.credentials import CredentialStore
from hub.window.grants import issue_grant
from hub.window.purposes import default_policy
from hub.window.service import Window
from tests.integration.window.conftest import CHEN_ID, GRANT_KEY, Env, MemorySink

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HALL = "上城区清波街道便民服务中心"
PURPOSES = ["养老服务", "医疗卫生", "本人查询", "综合受理"]
CASE = "养老-2025-0001"  # non-ASCII: the page must percent-encode it in X-Case-Id


def _key(settings: HubSettings, ws: WindowSettings, name: str, jurisdiction: list[str], purposes: list[str]) -> str:
    async def create() -> str:
        redis = Redis.from_url(settings.redis_url)
        try:
            store = CredentialStore(redis, ws.redis_prefix, settings.city_code, default_policy())
            return (await store.create(name, jurisdiction, purposes, days=1)).key
        finally:
            await redis.aclose()

    return asyncio.run(create())


# ---- the page and GET /window/me through the test client ---------------------------------------

def test_window_me_names_the_credential_and_writes_no_personal_data(env: Env) -> None:
    key = env.key(HALL, ["330102"], ["养老服务", "医疗卫生"])
    before = len(env.sink.events)
    resp = env.client.get("/window/me", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == HALL and body["jurisdiction"] == ["330102"] and body["city_code"] == "330100"
    assert [(p["name"], p["grant"]) for p in body["purposes"]] == [("养老服务", False), ("医疗卫生", True)]
    assert "key" not in body and "key_hash" not in body and resp.headers["cache-control"] == "no-store"
    assert len(env.sink.events) == before  # no citizen read, nothing to audit
    missing = env.client.get("/window/me")
    assert missing.status_code == 401 and missing.headers["content-type"].startswith("application/problem+json")
    assert env.client.get("/window/me", headers={"Authorization": "Bearer hk_" + "z" * 43}).status_code == 401
    assert env.client.get("/window/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_hall_page_is_served_with_a_strict_content_policy(env: Env) -> None:
    page = env.client.get("/hall")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "社区服务大厅" in page.text and "/hall/static/hall.js" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, no outside fonts
    for name, kind in (("hall.js", "text/javascript"), ("hall.css", "text/css")):
        asset = env.client.get(f"/hall/static/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
        assert "http://" not in asset.text and "https://" not in asset.text
    assert env.client.get("/hall/static/..%2Fpage.py").status_code == 404
    assert env.client.get("/hall/static/purposes.toml").status_code == 404
    assert "/hall" not in env.client.get("/openapi.json").json()["paths"]


# ---- the browser ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Hall:
    url: str
    driver: Any
    window: Window
    sink: MemorySink
    key: str
    shots: Path
    redis_url: str


@pytest.fixture
def hall(city: HubSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hall]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (scripts/setup.sh installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium-manager must not fetch a browser or a driver
    ws = WindowSettings(audit_spool=tmp_path / "audit" / "spool.jsonl", grant_key=SecretStr(GRANT_KEY),
                        rate_per_s=1000, rate_burst=1000)
    sink = MemorySink()
    window = build_window(city, redis=Redis.from_url(city.redis_url), window=ws, audit_sink=sink)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await close(window)

    app = FastAPI(lifespan=lifespan)
    mount(app, city, window=window)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="hall-uvicorn", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("uvicorn did not start")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,2000", "--lang=zh-CN", "--disable-extensions"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        key = _key(city, ws, HALL, ["330102"], PURPOSES)
        yield Hall(f"http://127.0.0.1:{port}", driver, window, sink, key, tmp_path, city.redis_url)
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(timeout=15)


class Page:
    """The few moves the test makes on the page, each waiting for what it expects."""

    def __init__(self, hall: Hall) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select, WebDriverWait

        self.d = hall.driver
        self.by = By
        self.select_cls = Select
        self.wait_cls = WebDriverWait

    def until(self, what: Callable[[Any], Any], timeout: float = 10.0) -> Any:
        return self.wait_cls(self.d, timeout).until(what)

    def el(self, css: str) -> Any:
        return self.d.find_element(self.by.CSS_SELECTOR, css)

    def els(self, css: str) -> list[Any]:
        return list(self.d.find_elements(self.by.CSS_SELECTOR, css))

    def type(self, css: str, text: str) -> None:
        box = self.el(css)
        box.clear()
        box.send_keys(text)

    def choose(self, css: str, value: str) -> None:
        self.select_cls(self.el(css)).select_by_value(value)

    def visible(self, css: str) -> bool:
        found = self.els(css)
        return bool(found) and found[0].is_displayed()

    def message(self) -> str:
        self.until(lambda _: self.visible("#message"))
        return str(self.el("#message").text)

    def row(self, field: str) -> Any:
        return self.el(f'#record-body tr[data-field="{field}"]')

    def fields(self) -> set[str]:
        return {r.get_attribute("data-field") for r in self.els("#record-body tr[data-field]")}

    def search_id(self, id_number: str) -> None:
        self.el('.tab[data-mode="id"]').click()
        self.type("#q-id", id_number)
        self.el("#search-button").click()

    def open_first(self) -> None:
        self.until(lambda _: self.els(".candidate .open"))
        self.els(".candidate .open")[0].click()
        self.until(lambda _: self.visible("#record"))

    def session(self, key: str) -> Any:
        return self.d.execute_script("return window.sessionStorage.getItem(arguments[0])", key)


def test_hall_page_end_to_end_in_chromium(hall: Hall, citizens: dict[str, Any]) -> None:
    p = Page(hall)
    chen, zhao = citizens["陈晓明"]["citizen_id"], citizens["赵秀英"]["citizen_id"]
    p.d.get(hall.url + "/hall")
    assert "社区服务大厅" in p.d.title

    # a wrong key: the 401 problem+json is shown in Chinese, and nothing is kept
    p.type("#key", "hk_" + "x" * 43)
    p.el("#sign-in-button").click()
    assert "凭证无效" in p.message() and "HTTP 401" in p.message()
    assert p.session("citizenHub.key") is None

    # sign in: the key lives in sessionStorage only, never in a cookie or the address
    p.type("#key", hall.key)
    p.type("#operator", "SC-0107")
    p.el("#sign-in-button").click()
    p.until(lambda _: p.visible("#workspace"))
    assert p.el("#who-name").text == HALL
    assert p.session("citizenHub.key") == hall.key and p.d.get_cookies() == [] and hall.key not in p.d.current_url
    assert p.el("#key").get_attribute("value") == ""
    assert sorted(o.get_attribute("value") for o in p.els("#purpose option")) == sorted(PURPOSES)

    # 养老服务: the ID masked and marked, health facts absent, presence answers, provenance, freshness
    p.choose("#purpose", "养老服务")
    p.type("#case-id", CASE)
    p.search_id("330106 19850312 1234")
    p.until(lambda _: p.els(".candidate"))
    assert p.el(".candidate .grade").text == "确定匹配"
    assert "330106********1234" in p.el(".candidate").text
    p.open_first()
    assert p.el("#record-title").text == "陈晓明"
    id_row = p.row("id_number")
    assert "330106********1234" in id_row.text and "已脱敏" in id_row.text
    assert "民政" in id_row.text and "MZ1" in id_row.text and "2024-01-26 09:00" in id_row.text
    assert "139****5678" in p.row("phone").text and "民政" in p.row("phone").text
    assert "享受社会救助: 否" in p.row("assistance_type").text and "仅答有无" in p.row("assistance_type").text
    assert "上城区解放路12号3幢1单元201室" in p.row("residence").text
    assert not {"chronic_diseases", "family_doctor"} & p.fields()
    assert "数据截至 2024-01-26 09:00" in p.el("#freshness").text and "读取于" in p.el("#freshness").text

    # the household, and a member opened by a click
    members = p.els("#record-body .household button")
    assert [m.text for m in members] == ["赵秀英"] and members[0].get_attribute("data-cid") == zhao
    members[0].click()
    p.until(lambda _: p.el("#record-title").text == "赵秀英")
    assert "享受社会救助: 是（低保）" in p.row("assistance_type").text
    assert p.row("elderly_care").get_attribute("data-mode") == "full" and "是" in p.row("elderly_care").text
    # her open conflict (多元校核): HRSS typed another birth date than her ID's
    assert p.el("#conflicts").is_displayed()
    conflict = p.el("#conflict-list").text
    assert "人社" in conflict and "1940-05-03" in conflict and "1940-03-05" in conflict

    # the other two searches: by phone, and by name + birth date with match grades (a reload keeps the sign-in)
    p.d.refresh()
    p.until(lambda _: p.visible("#workspace"))
    assert p.el("#case-id").get_attribute("value") == CASE
    p.el('.tab[data-mode="phone"]').click()
    p.type("#q-phone", "137 0000 2222")
    p.el("#search-button").click()
    p.until(lambda _: p.els(".candidate"))
    assert "赵秀英" in p.el(".candidate").text and p.el(".candidate .grade").text == "很可能匹配"
    p.choose("#purpose", "综合受理")
    p.el('.tab[data-mode="name"]').click()
    p.type("#q-name", "王芳")
    p.type("#q-birth", "1990")
    p.el("#search-button").click()
    assert "查询条件不足" in p.message() and "HTTP 422" in p.message()
    p.type("#q-birth", "1990-01-01")
    p.el("#search-button").click()
    p.until(lambda _: len(p.els(".candidate")) == 2)
    assert [g.text for g in p.els(".candidate .grade")] == ["很可能匹配", "很可能匹配"]

    # 医疗卫生: results cleared on the change; without the resident's grant a readable 403
    p.choose("#purpose", "医疗卫生")
    assert not p.visible("#record") and not p.els(".candidate") and p.visible("#grant-field")
    p.search_id(CHEN_ID)
    text = p.message()
    assert "居民扫码授权" in text and "HTTP 403" in text
    p.d.save_screenshot(str(hall.shots / "hall-refused.png"))
    p.type("#grant", issue_grant(GRANT_KEY.encode(), chen, "医疗卫生"))
    p.search_id(CHEN_ID)
    p.open_first()
    assert "高血压" in p.row("chronic_diseases").text and "卫健" in p.row("chronic_diseases").text
    assert "李医生" in p.row("family_doctor").text
    assert "已脱敏" in p.row("id_number").text
    assert "仅答有无" in p.row("household").text  # 医疗卫生 sees only whether others live there
    p.d.save_screenshot(str(hall.shots / "hall-health.png"))

    # 本人查询 with the resident's grant: the ID in full, health facts hidden again
    p.choose("#purpose", "本人查询")
    p.type("#grant", issue_grant(GRANT_KEY.encode(), chen, "本人查询"))
    p.search_id(CHEN_ID)
    p.open_first()
    id_row = p.row("id_number")
    assert CHEN_ID in id_row.text and "已脱敏" not in id_row.text and id_row.get_attribute("data-mode") == "full"
    assert not {"chronic_diseases", "family_doctor"} & p.fields()

    # back to 养老服务: report an outdated residence; the page shows the report id and its department
    p.choose("#purpose", "养老服务")
    p.search_id(CHEN_ID)
    p.open_first()
    p.choose("#report-field", "residence")
    p.type("#report-says", "已搬到西湖区文三路8号")
    p.el("#report-button").click()
    p.until(lambda _: p.visible("#report-result"))
    report_id = p.el("#report-id").text
    assert report_id.startswith("R-") and p.el("#report-owner").text == "民政"
    p.d.execute_script("window.scrollTo(0, 0)")
    shot = hall.shots / "hall-page.png"
    assert p.d.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    print(f"\nhall page screenshot: {shot}")

    # every read carried the percent-encoded case id and the operator, decoded by the API
    reads = [e for e in hall.sink.events if e.purpose is not None]  # admitted past the credential and rate
    assert reads and {e.case_id for e in reads} == {CASE} and {e.operator for e in reads} == {"SC-0107"}
    assert {e.purpose for e in reads} == {"养老服务", "综合受理", "医疗卫生", "本人查询"}
    assert CHEN_ID not in str([e.model_dump() for e in hall.sink.events])
    redis = SyncRedis.from_url(hall.redis_url)
    try:
        assert redis.exists(f"{hall.window.settings.redis_prefix}report:{report_id}")
    finally:
        redis.close()

    # rate limited: 429 with Retry-After, in Chinese
    hall.window.limiter.rate, hall.window.limiter.burst = 0.5, 0.0
    p.search_id(CHEN_ID)
    text = p.message()
    assert "请求过于频繁" in text and "2 秒后再试" in text and "HTTP 429" in text

    # sign out: the key is gone from the tab
    p.el("#sign-out").click()
    assert p.visible("#sign-in") and p.session("citizenHub.key") is None and not p.visible("#record")
