"""Accessibility in headless Chromium: axe-core (WCAG 2 A/AA rules), contrast computed, keyboard, phone width.

axe-core 4.14.1 is vendored under ``tests/web/vendor`` with its licence (MPL-2.0).
Besides axe, three checks are computed here so they do not depend on it:

* contrast: for every element with its own visible text, the WCAG 2 contrast
  ratio of its colour against the first opaque background behind it must be
  >= 4.5 (>= 3 for large text: 24 px, or 18.66 px bold);
* keyboard: Tab from the top reaches the skip link first, then every link and
  control in document order, each with a visible focus outline;
* phone width: at 375 px nothing is wider than the viewport (no sideways scrolling).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oncoimmune.web.pages import MODELLER_PAGES, PATIENT_PAGES

from .conftest import screenshot_dir

pytestmark = pytest.mark.usefixtures("live_server")

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
PAGES = ["/"] + [p for p, _ in PATIENT_PAGES + MODELLER_PAGES] + [
    "/could-i-have-it?cancer=nsclc&stage=IV&pdl1=60&prior_lines=0"]

CONTRAST_JS = r"""
function lum(c) {
  var m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
  var p = m[1].split(',').map(parseFloat);
  var f = p.slice(0, 3).map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return {L: 0.2126 * f[0] + 0.7152 * f[1] + 0.0722 * f[2], a: p.length > 3 ? p[3] : 1};
}
function bg(el) {
  while (el) { var s = getComputedStyle(el), c = lum(s.backgroundColor);
    if (c && c.a > 0.99) return c.L; el = el.parentElement; }
  return 1.0;
}
var bad = [];
document.querySelectorAll('body *').forEach(function (el) {
  var own = Array.from(el.childNodes).some(function (n) { return n.nodeType === 3 && n.textContent.trim(); });
  if (!own) return;
  var r = el.getBoundingClientRect(), s = getComputedStyle(el);
  if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || s.display === 'none') return;
  if (el.closest('.skip') && r.left < 0) return;
  var fg = lum(s.color); if (!fg) return;
  var b = bg(el), hi = Math.max(fg.L, b), lo = Math.min(fg.L, b), ratio = (hi + 0.05) / (lo + 0.05);
  var size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
  var need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
  if (ratio < need) bad.push([el.tagName, el.textContent.trim().slice(0, 40), ratio.toFixed(2), need]);
});
return bad;
"""


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violations(browser, live_server, path):
    browser.get(live_server + path)
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    result = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(function (r) { done(r.violations.map(function (v) { return [v.id, v.impact, v.nodes.length,"
        " v.nodes[0].target.join(' ')]; })); })"
        ".catch(function (e) { done([['axe-error', String(e), 0, '']]); });"
    )
    assert result == [], result


@pytest.mark.parametrize("path", PAGES)
def test_text_contrast_is_at_least_aa(browser, live_server, path):
    browser.get(live_server + path)
    bad = browser.execute_script(CONTRAST_JS)
    assert bad == [], bad


FOCUSABLE_JS = (
    "return Array.from(document.querySelectorAll('a[href], button, input, select, textarea, summary'))"
    ".filter(function (e) { var r = e.getBoundingClientRect(); return !e.disabled && !e.hidden &&"
    " getComputedStyle(e).visibility !== 'hidden' && (r.width > 0 || e.classList.contains('skip')); })"
)


@pytest.mark.parametrize("path", ["/", "/escape", "/could-i-have-it", "/explorer"])
def test_keyboard_reaches_every_control_with_visible_focus(browser, live_server, path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(live_server + path)
    n = browser.execute_script(FOCUSABLE_JS + ".length")
    seen = []
    for _ in range(n + 5):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        info = browser.execute_script(
            "var all = (function () {" + FOCUSABLE_JS + "; })(), e = document.activeElement, s = getComputedStyle(e);"
            "return [all.indexOf(e), e.tagName, s.outlineStyle, s.outlineWidth];")
        if info[1] == "BODY" or (seen and info[0] == seen[0]):  # past the last control
            break
        assert info[2] != "none" and info[3] != "0px", f"no visible focus on {info}"
        seen.append(info[0])
    assert seen[0] == 0, "the skip link must be the first stop"
    assert seen == sorted(seen), "focus order must follow the page order"
    assert set(seen) == set(range(n)), sorted(set(range(n)) - set(seen))


@pytest.mark.parametrize("path", PAGES)
def test_phone_width_has_no_sideways_scrolling(browser, live_server, path):
    browser.set_window_size(375, 800)
    try:
        browser.get(live_server + path)
        over = browser.execute_script(
            "var w = document.documentElement.clientWidth; return [document.documentElement.scrollWidth, w,"
            " Array.from(document.querySelectorAll('main *')).filter(function (e) {"
            "  var r = e.getBoundingClientRect(); return r.right > w + 1 && !e.closest('.table-wrap, pre'); })"
            ".slice(0, 5).map(function (e) { return e.tagName + '.' + e.className; })];")
        assert over[0] <= over[1] + 1 and over[2] == [], over
        browser.save_screenshot(str(screenshot_dir() / f"phone{path.split('?')[0].replace('/', '_') or '_home'}.png"))
    finally:
        browser.set_window_size(1280, 1000)


def test_every_form_control_has_a_label(browser, live_server):
    for path in ("/could-i-have-it", "/explorer", "/escape", "/jobs", "/treatments"):
        browser.get(live_server + path)
        unlabelled = browser.execute_script(
            "return Array.from(document.querySelectorAll('input, select, textarea')).filter(function (e) {"
            " return e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'); })"
            ".map(function (e) { return e.id || e.name; });")
        assert unlabelled == [], (path, unlabelled)


def test_explorer_of_an_imported_sbml_model_is_accessible(browser, live_server):
    """The explorer page of an uploaded SBML model (issue 12): axe, contrast and phone width as for the others."""
    import httpx

    from .test_sbml_api import DECAY

    model_id = httpx.post(live_server + "/api/sbml", json={"sbml": DECAY}, timeout=60).json()["id"]
    path = f"/explorer?model={model_id}"
    test_axe_finds_no_violations(browser, live_server, path)
    test_text_contrast_is_at_least_aa(browser, live_server, path)
    test_phone_width_has_no_sideways_scrolling(browser, live_server, path)
    test_keyboard_reaches_every_control_with_visible_focus(browser, live_server, path)
