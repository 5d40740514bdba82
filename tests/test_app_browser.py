"""The demo in a real browser: Playwright drives Debian's Chromium (`apt-get install chromium`;
Playwright's own browser downloads are not used). The page loads, a Hindi sentence pair goes in,
a perturbation is applied, and every selected model's clean and perturbed predictions appear;
right-to-left lines are laid out in reading order with Arabic letters still joined across edit
marks; nothing a user types becomes markup; the tables fit a 1024-pixel window. Screenshots,
one per script among them, are kept in test-artifacts/ (gitignored; CI installs the Noto fonts
they need)."""

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
    sync_api.expect(page.locator("#perturbed")).to_contain_text("Sentence 1")
    sync_api.expect(page.locator("#perturbed")).to_contain_text("perturbed")
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


SCRIPTS = {  # language: (sentence 1, sentence 2), each long enough for several edits
    "ar": ("يذهب الولد إلى المدرسة كل صباح مع أخته الكبيرة.", "الولد يحب المدرسة كثيرا."),
    "he": ("הילדה קוראת ספר ארוך בספרייה הגדולה של העיר.", "הילדה אוהבת לקרוא ספרים."),
    "hi": ("लड़का हर सुबह अपनी बड़ी बहन के साथ स्कूल जाता है।", "लड़के को स्कूल पसंद है।"),
    "th": ("เด็กผู้ชายไปโรงเรียนทุกเช้ากับพี่สาวของเขา", "เด็กชายชอบโรงเรียน"),
    "zh": ("男孩每天早上和他的姐姐一起去学校。", "男孩喜欢学校。"),
    "ja": ("少年は毎朝お姉さんと一緒に学校へ行きます。", "少年は学校が好きです。"),
}

# The line's layout in the page, measured in the browser: its direction, whether every mark is
# an inline box, the horizontal order of its first and last words, and its width against the
# same text drawn in one unmarked run (equal when no edit mark breaks letter joining).
MEASURE = """(line) => {
  const style = getComputedStyle(line);
  const marks = [...line.querySelectorAll('span')];
  const range = (node, start, end) => { const r = document.createRange();
    r.setStart(node, start); r.setEnd(node, end); return r.getBoundingClientRect(); };
  const texts = [...line.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
  const first = texts[0], last = texts[texts.length - 1];
  const plain = document.createElement('div');
  plain.className = line.className; plain.dir = 'auto';
  plain.style.cssText = 'position:absolute;visibility:hidden;width:auto;white-space:nowrap';
  plain.textContent = line.textContent; line.parentElement.appendChild(plain);
  const probe = line.cloneNode(true);
  probe.style.cssText = plain.style.cssText; line.parentElement.appendChild(probe);
  const widths = [plain.getBoundingClientRect().width, probe.getBoundingClientRect().width];
  plain.remove(); probe.remove();
  const inline = marks.every(m => getComputedStyle(m).display === 'inline');
  return {direction: style.direction, inline: inline,
          firstX: first ? range(first, 0, 1).left : null,
          lastX: last ? range(last, last.length - 1, last.length).left : null,
          plainWidth: widths[0], markedWidth: widths[1], marks: marks.length};
}"""


def _perturb(page, url: str, pair: tuple[str, str], family: str = "char_swap") -> None:
    page.goto(url)
    page.get_by_label("Sentence 1 / premise").fill(pair[0])
    page.get_by_label("Sentence 2 / hypothesis").fill(pair[1])
    page.get_by_label("Perturbation family").click()
    page.get_by_role("option", name=family, exact=True).click()
    page.get_by_role("button", name="Perturb", exact=True).click()
    sync_api.expect(page.locator("#perturbed .xs-line").first).to_be_visible()


@pytest.mark.parametrize("language", ["ar", "he"])
def test_right_to_left_lines_read_right_to_left_with_letters_still_joined(
    running, page, language: str
) -> None:
    _, url = running
    _perturb(page, url, SCRIPTS[language], "char_substitute")
    lines = page.locator("#perturbed .xs-text")
    measured = [lines.nth(i).evaluate(MEASURE) for i in range(lines.count())]
    assert len(measured) == 4  # clean and perturbed, two sentences
    assert any(m["marks"] for m in measured)  # the edits are marked
    for m in measured:
        assert m["direction"] == "rtl" and m["inline"]
        assert m["firstX"] > m["lastX"]  # the first word is the rightmost
        assert abs(m["plainWidth"] - m["markedWidth"]) < 1.0  # marks cut no joining


def test_a_mixed_line_keeps_the_word_order_of_the_input_box(running, page) -> None:
    """ "Olga روضا." starts with a Latin letter: the input box (unicode-bidi: plaintext) lays it
    out left to right, and so does the view."""
    _, url = running
    _perturb(page, url, ("Olga روضا كثيرا.", "Olga روضا."))
    box = page.get_by_label("Sentence 1 / premise")
    box_direction = box.evaluate("e => getComputedStyle(e).unicodeBidi")
    line = page.locator("#perturbed .xs-text").first
    assert (
        box_direction == "plaintext"
        and line.evaluate("e => getComputedStyle(e).unicodeBidi") == "plaintext"
    )
    assert line.evaluate(MEASURE)["direction"] == "ltr"


def test_every_script_is_shown_with_its_edits(running, page) -> None:
    """Screenshots of each script's clean and perturbed lines: kept for a person to look at."""
    _, url = running
    ARTIFACTS.mkdir(exist_ok=True)
    for language, pair in SCRIPTS.items():
        _perturb(page, url, pair, "char_delete" if language in ("zh", "ja") else "char_swap")
        view = page.locator("#perturbed")
        sync_api.expect(view.locator(".xs-removed").first).to_be_visible()
        shot = ARTIFACTS / f"app-script-{language}.png"
        view.screenshot(path=str(shot))
        assert shot.stat().st_size > 3_000


def test_nothing_a_user_types_becomes_markup(running, page) -> None:
    _, url = running
    page.goto(url)
    page.evaluate("window.__xss = 0")
    hostile = '<img src=x onerror="window.__xss=1"><form id=evil><input></form>'
    page.get_by_label("Sentence 1 / premise").fill(hostile)
    page.get_by_label("Sentence 2 / hypothesis").fill("<b>bold</b> [link](http://127.0.0.1:9/)")
    language = page.get_by_label("Language")
    language.fill('<img src=x onerror="window.__xss=2">')
    language.press("Enter")
    page.get_by_role("button", name="Perturb & compare").click()
    status = page.locator("#status")
    sync_api.expect(status).to_contain_text("not a language code")
    sync_api.expect(status).to_contain_text("<img src=x")  # shown as the characters typed
    page.get_by_label("Language").fill("en")
    page.get_by_label("Language").press("Enter")
    page.get_by_role("button", name="Perturb & compare").click()
    sync_api.expect(page.locator("#perturbed")).to_contain_text("<form id=evil>")
    sync_api.expect(page.locator("#perturbed")).to_contain_text("<b>bold</b>")
    for where in ("#status", "#perturbed", "#predictions"):
        assert page.locator(f"{where} img, {where} form, {where} b, {where} a").count() == 0
    assert page.evaluate("window.__xss") == 0


@pytest.mark.parametrize("width", [1024, 1400])
def test_the_tables_fit_the_window(running, page, width: int) -> None:
    _, url = running
    page.set_viewport_size({"width": width, "height": 1800})
    try:
        page.goto(url)
        page.get_by_label("Sentence 1 / premise").fill(HI[0])
        page.get_by_label("Sentence 2 / hypothesis").fill(HI[1])
        page.get_by_role("button", name="Perturb & compare").click()
        table = page.locator("#predictions table")
        sync_api.expect(table).to_contain_text("seed0")
        box = table.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1")
        page.screenshot(path=str(ARTIFACTS / f"app-compare-{width}.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1400, "height": 1800})


def test_the_page_says_what_it_shows_and_an_example_leaves_no_language_behind(
    running, page
) -> None:
    _, url = running
    page.goto(url)
    sync_api.expect(page.get_by_text("sample world's tiny encoder")).to_be_visible()
    page.get_by_role("tab", name="What am I looking at?").click()
    sync_api.expect(
        page.get_by_role("tabpanel").get_by_text("Strength (unit share)")
    ).to_be_visible()
    page.get_by_role("tab", name="Perturb & compare").click()
    page.get_by_text("he (hand-written)").first.click()
    sync_api.expect(page.get_by_label("Sentence 1 / premise")).to_have_value(
        "הילדה קוראת ספר בספרייה."
    )
    assert page.get_by_label("Language").input_value() == "auto"
    page.get_by_label("Sentence 1 / premise").fill("Kofi and Anya carry 2 bananas.")
    page.get_by_label("Sentence 2 / hypothesis").fill("Kofi carries bananas.")
    page.get_by_role("button", name="Perturb & compare").click()
    sync_api.expect(page.locator("#status")).to_contain_text("language 'en' (guessed")
