"""nianbao show: the terminal view, and the review page in a real headless Chromium (Debian's chromium and
chromium-driver: `apt-get install chromium chromium-driver`; nothing downloads a browser)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from nianbao.review.page import write_page
from nianbao.review.show import FIXED_WIDTH, make_console, render

REPO = Path(__file__).resolve().parents[1]
CRAWL = REPO / "examples" / "synth-crawl.txt"
OUT = Path(os.environ.get("NIANBAO_TEST_OUT", REPO / "out" / "test-artifacts"))


@pytest.fixture(scope="module")
def parsed() -> tuple[dict, str, list]:
    """A parsed example with flags (rules only), settled by hand in one field to show a settlement."""
    import nianbao

    doc = nianbao.parse_file(CRAWL, no_model=True)
    rec = doc.to_record()
    assert rec["flags"], "the example must carry flags"
    rec["resolutions"] = [{"field": "t4.review.total", "previous": 0, "value": 0,
                           "evidence": {"kind": "review", "reviewer": "test"}}]
    tags = [(*doc.to_source(t.start, t.end), t.tag) for t in doc.tags if t.tag not in ("VAL", "BLANK")]
    return rec, doc.text, tags


def test_terminal_view_fixed_width(parsed: tuple[dict, str, list], tmp_path: Path) -> None:
    rec, _, _ = parsed
    path = tmp_path / "show.txt"
    with path.open("w", encoding="utf-8") as fh:
        console = make_console(fh)
        assert console.width == FIXED_WIDTH
        render(rec, console)
    out = path.read_text(encoding="utf-8")
    assert "(三)不予公开 1.属于国家秘密" in out and "社会公益组织" in out  # Chinese labels, unwrapped
    assert "一、本年新收政府信息公开申请数量" in out.splitlines()[[i for i, line in enumerate(out.splitlines())
                                                            if "一、本年新收" in line][0]]
    flagged = next(f for fl in rec["flags"] for f in fl["fields"])
    assert "?" in out and "alternatives (where they differ):" in out and "split.ambiguous" in out
    assert "✓" in out and "t4.review.total" in out and flagged


def _browser() -> tuple[str, str]:
    """Debian's chromium and its driver; skip (never in CI) where they are missing."""
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chrome and driver):
        msg = ("no chromium/chromedriver on PATH: `sudo apt-get install chromium chromium-driver` "
               "(Debian/Ubuntu) to run the browser test")
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return chrome, driver


def test_review_page_in_chromium(parsed: tuple[dict, str, list], tmp_path: Path) -> None:
    chrome, driver_path = _browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    rec, text, tags = parsed
    page = write_page(rec, text, tmp_path / "page.html", tags)
    html = page.read_text(encoding="utf-8")
    assert not any(k in html for k in ("<link", " src=", "url(", "@import", 'href="http'))  # no network
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1600,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    try:
        drv.get(page.as_uri())
        assert drv.title
        cells = drv.find_elements(By.CSS_SELECTOR, "td[data-field]")
        assert sorted(c.get_attribute("data-field") for c in cells) == sorted(rec["fields"])
        spans = drv.find_elements(By.CSS_SELECTOR, "#src .fs")
        assert len(spans) == len(rec["fields"])  # every field's span is highlighted
        assert drv.find_elements(By.CSS_SELECTOR, "#src .tg-ROW") and drv.find_elements(By.CSS_SELECTOR, "#src .tg-SEC")
        flagged = sorted({f for fl in rec["flags"] for f in fl["fields"]})
        target = flagged[0]
        cell = drv.find_element(By.ID, f"cell-{target}")
        assert "flagged" in cell.get_attribute("class")
        span = drv.find_element(By.ID, f"span-{target}")
        assert "active" not in span.get_attribute("class")
        cell.click()
        assert "active" in span.get_attribute("class")
        a, b = rec["fields"][target]["span"]
        assert span.text == text[a:b]
        # the marked span is scrolled into view in the source pane
        visible = drv.execute_script(
            "var s=arguments[0].getBoundingClientRect(), p=document.getElementById('src').getBoundingClientRect();"
            "return s.top >= p.top && s.bottom <= p.bottom;", span)
        assert visible
        assert len(drv.find_elements(By.CSS_SELECTOR, ".active")) == 2  # the span and its cell
        errors = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], json.dumps(errors, ensure_ascii=False)
        OUT.mkdir(parents=True, exist_ok=True)
        shot = OUT / "review-page.png"
        assert drv.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        drv.quit()
