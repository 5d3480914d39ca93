"""End-to-end in headless Chromium: the home page, a drug page and a link to a disease, a query run in YASGUI.

Screenshots go to test-artifacts/pages/; every page must render without console warnings or errors.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from anakinra_kg.prefixes import converter

from . import browser
from .conftest import ROOT
from .endpoint_server import running_server

ARTIFACTS = ROOT / "test-artifacts" / "pages"
pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")


@pytest.fixture(scope="module")
def site(store_link: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The root URL of a real server on the built store."""
    log = tmp_path_factory.mktemp("pages-browser") / "server.log"
    with running_server(store_link, log, "--workers", "1", "--threads", "4") as endpoint:
        yield endpoint.removesuffix("/sparql")


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    """One headless Chromium for the module."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with browser.chromium() as chromium:
        yield chromium


def shoot(driver: WebDriver, name: str) -> Path:
    """Save a full-page screenshot into the test artefacts."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1366, min(max(height, 900), 6000))
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1366, 900)
    return path


def test_home_page(driver: WebDriver, site: str) -> None:
    driver.get(f"{site}/")
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("A knowledge graph of anakinra")
    counts = {
        row.find_element(By.TAG_NAME, "a").text for row in driver.find_elements(By.CSS_SELECTOR, ".counts tbody tr")
    }
    assert {"disease", "therapeutic use", "adverse reaction"} <= counts
    assert shoot(driver, "home").stat().st_size > 10_000
    assert browser.console_problems(driver) == []


def test_drug_page_and_a_link_to_a_disease(driver: WebDriver, site: str) -> None:
    driver.get(f"{site}/")
    driver.find_element(By.LINK_TEXT, "Open the drug’s page").click()
    WebDriverWait(driver, 10).until(ec.url_to_be(f"{site}/id/drug/anakinra"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "anakinra"
    tables = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "section.facts h2")]
    assert any(t.startswith("Therapeutic uses") for t in tables)
    uses = driver.find_element(
        By.XPATH, "//section[contains(@class,'facts')][.//h2[starts-with(., 'Therapeutic uses')]]"
    )
    assert "Off label, it is used to treat systemic juvenile idiopathic arthritis" in uses.text, "quotes are shown"
    shoot(driver, "drug")
    assert browser.console_problems(driver) == []
    uses.find_element(By.LINK_TEXT, "gout").click()
    WebDriverWait(driver, 10).until(ec.url_to_be(f"{site}/id/disease/gout"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "gout"
    mondo = driver.find_element(By.LINK_TEXT, "mondo:0005393")
    assert mondo.get_attribute("href") == "http://purl.obolibrary.org/obo/MONDO_0005393"
    shoot(driver, "disease-gout")
    assert browser.console_problems(driver) == []


def test_run_an_example_query_in_the_ui(driver: WebDriver, site: str) -> None:
    driver.get(f"{site}/query")
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".yasqe .CodeMirror"))
    link = driver.find_element(By.CSS_SELECTOR, "#example-list a[data-tab='uses-off-label']")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    WebDriverWait(driver, 10).until(ec.element_to_be_clickable(link)).click()
    question = driver.find_element(By.ID, "question").text
    assert question.startswith("For which conditions is anakinra used off label")
    editor = driver.execute_script("return window.anakinraYasgui.getTab().getYasqe().getValue()")
    assert editor == (ROOT / "queries" / "uses-off-label.rq").read_text()
    run = [button for button in driver.find_elements(By.CSS_SELECTOR, ".yasqe_queryButton") if button.is_displayed()]
    assert len(run) == 1, "one editor shows: the selected tab's"
    run[0].click()
    WebDriverWait(driver, 30).until(lambda d: visible(d, ".yasr table tbody tr td"))
    shown = {
        tuple(cell.get_attribute("textContent").strip() for cell in row.find_elements(By.TAG_NAME, "td"))[1:3]
        for row in visible(driver, ".yasr table tbody tr")
    }
    assert shown == expected_off_label()
    assert visible(driver, ".yasr_downloadIcon"), "results can be downloaded"
    shoot(driver, "query-uses-off-label")
    assert browser.console_problems(driver) == []


def visible(driver: WebDriver, selector: str) -> list:
    """The elements matching a CSS selector that are displayed (hidden tabs keep their own editors and tables)."""
    return [element for element in driver.find_elements(By.CSS_SELECTOR, selector) if element.is_displayed()]


def expected_off_label() -> set[tuple[str, str]]:
    """The (disease IRI, label) rows of the expected answer, written as YASR shows them."""
    with (ROOT / "tests" / "expected" / "uses-off-label.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    shown = set()
    for row in rows:
        label, _, language = row["condition"].rpartition("@")
        shown.add((f"<{converter().expand(row['disease'])}>", f'"{label}"@{language}'))
    return shown
