"""The demo in a real browser: Playwright drives Debian's Chromium (`apt-get install chromium`;
Playwright's own browser downloads are not used). The page loads, a Hindi sentence pair goes in,
a perturbation is applied, and every selected model's clean and perturbed predictions appear.
A screenshot is kept in test-artifacts/ (gitignored)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("gradio", reason="the demo needs gradio (pip install -e '.[dev]')")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from tests.app_support import REPO, build_demo_root, start_app  # noqa: E402

CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
ARTIFACTS = REPO / "test-artifacts"
HI = ("Kofi और Anya 2 श्रूं प्रेंनीता है।", "Kofi और Anya 2 श्रूं दस्वास्वैता है।")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no chromium on PATH: `apt-get install -y chromium` (.ci/run installs it)",
    ),
]


@pytest.fixture(scope="module")
def running(small_world: Path, tmp_path_factory: pytest.TempPathFactory):
    root = build_demo_root(small_world, tmp_path_factory.mktemp("demo"))
    _, service, demo, url = start_app(root, small_world)
    yield service, url
    demo.close()


@pytest.fixture(scope="module")
def page(running):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def test_perturb_and_compare_in_the_browser(running, page) -> None:
    service, url = running
    page.goto(url)
    page.get_by_label("Sentence 1 / premise").fill(HI[0])
    page.get_by_label("Sentence 2 / hypothesis").fill(HI[1])
    page.get_by_role("button", name="Perturb & compare").click()
    table = page.locator("#predictions")
    labels = [label for label, _ in service.model_choices("xnli")]
    for label in labels:
        sync_api.expect(table).to_contain_text(label)
    sync_api.expect(page.locator("#status")).to_contain_text("char_swap:")
    sync_api.expect(page.locator("#status")).to_contain_text("Prediction changed for")
    text = table.inner_text()
    assert text.count("seed0") == len(labels)
    assert "⚠ changed" in text or "= same" in text
    sync_api.expect(page.locator("#perturbed")).to_contain_text("Sentence 1:")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-compare.png"), full_page=True)
    assert (ARTIFACTS / "app-compare.png").stat().st_size > 10_000


def test_a_bad_input_shows_a_message_in_the_page(running, page) -> None:
    _, url = running
    page.goto(url)
    page.get_by_label("Sentence 1 / premise").fill("   ")
    page.get_by_label("Sentence 2 / hypothesis").fill(HI[1])
    page.get_by_role("button", name="Perturb & compare").click()
    sync_api.expect(page.locator("#status")).to_contain_text("is empty")


def test_switching_to_xcopa_shows_its_fields_and_models(running, page) -> None:
    service, url = running
    page.goto(url)
    page.get_by_label("Target task").click()
    page.get_by_role("option", name="xcopa").click()
    sync_api.expect(page.get_by_label("Premise")).to_be_visible()
    sync_api.expect(page.get_by_label("Sentence 2 / hypothesis")).to_be_hidden()
    page.get_by_label("Premise").fill("Olga روضا.")
    page.get_by_label("Choice 1").fill("يحيب Olga الماب.")
    page.get_by_label("Choice 2").fill("يعيسن Olga الشيرت.")
    page.get_by_role("button", name="Perturb & compare").click()
    table = page.locator("#predictions")
    for label, _ in service.model_choices("xcopa"):
        sync_api.expect(table).to_contain_text(label)
    sync_api.expect(table).to_contain_text("choice 1")
    page.screenshot(path=str(ARTIFACTS / "app-xcopa.png"), full_page=True)


def test_attack_tab_shows_a_result_per_model(running, page) -> None:
    pytest.importorskip("xstilts.attack", reason="xstilts.attack is not in this build")
    service, url = running
    page.goto(url)
    page.get_by_label("Sentence 1 / premise").fill(HI[0])
    page.get_by_label("Sentence 2 / hypothesis").fill(HI[1])
    page.get_by_role("tab", name="Attack").click()
    page.get_by_role("button", name="Attack", exact=True).click()
    sync_api.expect(page.locator("#attack-status")).to_contain_text("Attack flipped")
    table = page.locator("#attack-results")
    for label, _ in service.model_choices("xnli"):
        sync_api.expect(table).to_contain_text(label)
    page.screenshot(path=str(ARTIFACTS / "app-attack.png"), full_page=True)
