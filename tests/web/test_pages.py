"""Patient pages: plain English (reading age about 12), the disclaimer, the date, the version, the evidence."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from oncoimmune import __version__
from oncoimmune.web.pages import PATIENT_PAGES

#: Flesch-Kincaid grade of the plain-English text of a patient page; grade 7 is a reading age of 12-13
#: (US grade + 5 or 6). The limit allows the few medical words the pages must name (immunotherapy, PD-L1...).
MAX_GRADE = 7.5


class _Prose(HTMLParser):
    """Text of the page's main prose: paragraphs and list items outside evidence notes, tables, forms and code."""

    SKIP = {"table", "pre", "code", "figcaption", "form", "nav", "footer", "header", "select", "datalist", "script"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "source"):
            return
        cls = dict(attrs).get("class") or ""
        skip = tag in self.SKIP or any(c in cls.split() for c in ("evidence", "small", "disclaimer", "option"))
        self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if any(s for _, s in self.stack):
            return
        if self.stack and self.stack[-1][0] in ("p", "li", "a", "strong", "em", "span") and \
                any(t in ("main",) for t, _ in self.stack):
            self.parts.append(data)


def _syllables(word: str) -> int:
    w = word.lower()
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", w)))


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade level (Kincaid et al. 1975, Naval Technical Training Command report 8-75)."""
    sentences = [s for s in re.split(r"[.!?:]+(?:\s|$)", text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    syl = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * syl / len(words) - 15.59


def test_fk_grade_of_known_texts():
    assert fk_grade("The cat sat on the mat. The dog ran.") < 1
    assert fk_grade("Immunotherapeutic interventions necessitate comprehensive multidisciplinary "
                    "evaluation of individualised eligibility considerations.") > 16


@pytest.mark.parametrize("path", ["/"] + [p for p, _ in PATIENT_PAGES])
def test_patient_pages_are_plain_english(client, path):
    p = _Prose()
    p.feed(client.get(path).text)
    text = " ".join(" ".join(p.parts).split())
    assert len(text.split()) > 40, text
    grade = fk_grade(text)
    assert grade <= MAX_GRADE, f"{path}: Flesch-Kincaid grade {grade:.1f} > {MAX_GRADE}"


@pytest.mark.parametrize("path", ["/"] + [p for p, _ in PATIENT_PAGES])
def test_every_page_has_disclaimer_date_version_and_evidence(client, path):
    html = client.get(path).text
    assert html.count("Information, not medical advice") >= 2
    assert dt.date.today().isoformat() in html
    assert f"oncoimmune version {__version__}" in html
    if path in ("/immune-system", "/escape", "/treatments", "/tests", "/trials"):
        assert "Evidence:" in html


def test_eligibility_page_answers_with_reasons_sources_and_questions(client):
    r = client.get("/could-i-have-it", params={"cancer": "nsclc", "stage": "IV", "pdl1": "20", "prior_lines": "0"})
    assert r.status_code == 200
    html = r.text
    assert "Questions to ask your care team" in html and "Source:" in html
    assert "do not match, and why" in html
    bad = client.get("/could-i-have-it", params={"cancer": "nsclc", "pdl1": "abc"})
    assert bad.status_code == 422 and "pdl1" in bad.text


def test_tests_page_covers_the_named_tests(client):
    html = client.get("/tests").text
    for name in ("PD-L1", "MSI", "TMB", "HER2", "CD19", "CD20", "JAK2"):
        assert name in html, name
