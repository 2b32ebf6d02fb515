"""Imported SBML models in the explorer (issue 12): upload, the server's BioModels files, simulate, refusals.

The files are written here (no dependence on the shared data folder), except the last
test, which imports every BioModels file the shared folder holds when it is there.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

pytest.importorskip("libsbml")


def doc(body: str, model_id: str = "m") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">'
        f'<model id="{model_id}">{body}</model></sbml>'
    )


def mathml(inner: str) -> str:
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{inner}</math>'


#: S(0) = A0 k (an initial assignment), S decays at rate k: S(t) = A0 k exp(-k t).
DECAY = doc(
    '<listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>'
    '<listOfSpecies><species id="S" compartment="c" initialConcentration="0" hasOnlySubstanceUnits="false" '
    'boundaryCondition="false" constant="false"/></listOfSpecies>'
    '<listOfParameters><parameter id="k" value="0.5" constant="true"/>'
    '<parameter id="A0" value="3" constant="true"/></listOfParameters>'
    '<listOfInitialAssignments><initialAssignment symbol="S">'
    + mathml("<apply><times/><ci>A0</ci><ci>k</ci></apply>")
    + "</initialAssignment></listOfInitialAssignments>"
    '<listOfReactions><reaction id="R" reversible="false"><listOfReactants>'
    '<speciesReference species="S" stoichiometry="1" constant="true"/></listOfReactants>'
    "<kineticLaw>" + mathml("<apply><times/><ci>k</ci><ci>S</ci><ci>c</ci></apply>") + "</kineticLaw>"
    "</reaction></listOfReactions>",
    "decay",
)

#: x' = 1 from 0; at t >= 2, x := 0 (a model event on time alone: every engine runs it).
RESET = doc(
    '<listOfParameters><parameter id="x" value="0" constant="false"/></listOfParameters>'
    '<listOfRules><rateRule variable="x">' + mathml("<cn>1</cn>") + "</rateRule></listOfRules>"
    '<listOfEvents><event id="reset" useValuesFromTriggerTime="true">'
    '<trigger initialValue="false" persistent="true">'
    + mathml('<apply><geq/><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">'
             "t</csymbol><cn>2</cn></apply>")
    + '</trigger><listOfEventAssignments><eventAssignment variable="x">' + mathml("<cn>0</cn>")
    + "</eventAssignment></listOfEventAssignments></event></listOfEvents>",
    "reset",
)

#: x' = 1 from 0; when x > 1.25, x := 0 (a trigger on the state: the SciPy reference engine only).
SAWTOOTH = RESET.replace('id="reset"', 'id="saw"').replace('<model id="reset">', '<model id="saw">').replace(
    mathml('<apply><geq/><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">'
           "t</csymbol><cn>2</cn></apply>"), mathml("<apply><gt/><ci>x</ci><cn>1.25</cn></apply>"))

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2"><model id="m" name="&lol2;"/></sbml>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE sbml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2"><model id="m" name="&xxe;"/></sbml>"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A server folder of 'BioModels' files (written here), plus a file that is not SBML."""
    d = tmp_path_factory.mktemp("biomodels")
    (d / "decay2026-a-decaying-species__BIOMD0000099901.xml").write_text(DECAY)
    (d / "reset2026-a-sawtooth__MODEL9999999902.xml").write_text(RESET)
    (d / "notes.txt").write_text("not listed")
    return d


@pytest.fixture(scope="module")
def sclient(tmp_path_factory, folder):
    from fastapi.testclient import TestClient

    from oncoimmune.web import create_app

    app = create_app(tmp_path_factory.mktemp("web-sbml-data"), warm=False, biomodels_dir=folder)
    with TestClient(app) as c:
        yield c


def _upload(client, text):
    return client.post("/api/sbml", json={"sbml": text})


def test_upload_gives_a_model_the_explorer_simulates_one_patient_and_a_band(sclient):
    r = _upload(sclient, DECAY)
    assert r.status_code == 200, r.text
    d = r.json()
    assert re.fullmatch(r"sbml_[0-9a-f]{16}", d["id"])
    assert d["imported"]["sbml_id"] == "decay" and d["imported"]["source"] == "upload"
    assert {p["name"] for p in d["parameters"]} >= {"k", "A0"}
    assert [s for s in d["states"] if s["name"] == "S"][0]["assigned"] is True
    assert sclient.get(f"/api/models/{d['id']}").json()["id"] == d["id"]
    # the same file again (a browser may send CRLF line ends) is the same model
    assert _upload(sclient, DECAY.replace("\n", "\r\n")).json()["id"] == d["id"]

    # one patient on the batched engine, with a slider moved: the initial assignment follows A0 and k
    r = sclient.post("/api/simulate", json={"model": d["id"], "days": 4, "points": 9, "set": {"A0": 5.0, "k": 2.0}})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["engine"] == "batched" and out["status"] == "ok" and out["time_units"]
    t = np.array(out["time"])
    np.testing.assert_allclose(out["states"]["S"], 10.0 * np.exp(-2.0 * t), rtol=1e-4)
    # a band of virtual patients
    r = sclient.post("/api/simulate", json={"model": d["id"], "days": 4, "points": 9, "patients": 200, "seed": 1})
    assert r.status_code == 200, r.text
    band = r.json()["states"]["S"]
    assert r.json()["n_ok"] == 200
    assert np.all(np.array(band["q05"]) <= np.array(band["q50"])) and np.all(np.array(band["q50"]) <= band["q95"])
    # the state computed by its initial assignment cannot be set; escapes and therapies are refused by name
    for body, field in (({"set": {"S": 1.0}}, "set.S"), ({"escapes": {"lymphopenia": 0.5}}, "escapes"),
                        ({"therapies": ["pembrolizumab"]}, "therapies")):
        r = sclient.post("/api/simulate", json={"model": d["id"], "days": 4, **body})
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == field, r.text


def test_model_events_on_time_run_batched_others_on_the_reference_engine_one_patient_only(sclient):
    d = _upload(sclient, RESET).json()
    assert d["imported"]["events"] == 1 and d["imported"]["events_need_scipy"] == ""
    r = sclient.post("/api/simulate", json={"model": d["id"], "days": 3, "points": 7})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["engine"] == "batched" and out["engine_note"] == ""
    np.testing.assert_allclose(out["states"]["x"], [0.0, 0.5, 1.0, 1.5, 0.0, 0.5, 1.0], atol=1e-6)
    assert sclient.post("/api/simulate", json={"model": d["id"], "days": 3, "patients": 10}).json()["n_ok"] == 10
    # a trigger on the state: the reference engine, one patient
    d = _upload(sclient, SAWTOOTH).json()
    assert "trigger x > 1.25" in d["imported"]["events_need_scipy"]
    r = sclient.post("/api/simulate", json={"model": d["id"], "days": 3, "points": 7})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["engine"] == "scipy" and "SciPy reference engine" in out["engine_note"]
    np.testing.assert_allclose(out["states"]["x"], [0.0, 0.5, 1.0, 0.25, 0.75, 0.0, 0.5], atol=1e-6)
    r = sclient.post("/api/simulate", json={"model": d["id"], "days": 3, "patients": 10})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "patients" and "SBML <event>" in r.json()["detail"][0]["msg"]


def test_text_that_is_not_sbml_never_reaches_a_path_or_the_importer(sclient, monkeypatch):
    import oncoimmune.io.sbml as sbml

    def boom(*a, **k):  # pragma: no cover - reached only on failure
        raise AssertionError("from_sbml called")

    monkeypatch.setattr(sbml, "from_sbml", boom)
    for text in ("/etc/passwd", "../../etc/passwd", "  oncoimmune/web/app.py", "\ufeffC:\\\\x.xml"):
        r = _upload(sclient, text)
        assert r.status_code == 422, text
        item = r.json()["detail"][0]
        assert item["field"] == "sbml" and "starts with '<'" in item["msg"]


@pytest.mark.parametrize("text,msg", [(BILLION_LAUGHS, "DOCTYPE or ENTITY"), (XXE, "DOCTYPE or ENTITY"),
                                      ("<sbml", "not readable SBML|XML"), ("<html></html>", "SBML")],
                         ids=["billion-laughs", "external-entity", "broken-xml", "not-sbml"])
def test_hostile_or_broken_files_are_422_naming_sbml(sclient, text, msg):
    r = _upload(sclient, text)
    assert r.status_code == 422, r.text
    item = r.json()["detail"][0]
    assert item["field"] == "sbml" and re.search(msg, item["msg"]), item
    assert "root:" not in r.text  # nothing of /etc/passwd


def test_size_limits_and_unknown_fields(sclient):
    from oncoimmune.web.imported import SBML_LIMITS
    from oncoimmune.web.schemas import SBML_MAX_BODY_BYTES

    big = DECAY.replace("</model>", "<!--" + "x" * SBML_LIMITS["max_sbml_bytes"] + "--></model>")
    r = _upload(sclient, big)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] in ("sbml", "body")
    r = sclient.post("/api/sbml", content=b"{" + b" " * (SBML_MAX_BODY_BYTES + 10) + b"}",
                     headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "body"
    r = sclient.post("/api/sbml", json={"sbml": DECAY, "file": "/etc/passwd"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "file"
    # the larger limit is for the upload only
    r = sclient.post("/api/simulate", content=b"{" + b" " * 70000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "body"
    assert sclient.get("/api/limits").json()["max_sbml_bytes"] == SBML_LIMITS["max_sbml_bytes"]


def test_biomodels_files_are_chosen_by_id_never_by_path(sclient):
    listed = sclient.get("/api/sbml/biomodels").json()
    assert [b["id"] for b in listed] == ["biomd0000099901", "model9999999902"]
    assert all(set(b) == {"id", "file", "title", "bytes"} for b in listed)
    r = sclient.post("/api/sbml/biomodels/biomd0000099901")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["imported"]["file"].endswith("BIOMD0000099901.xml") and d["imported"]["source"] == "biomodels:biomd0000099901"
    assert d["id"] == _upload(sclient, DECAY).json()["id"]  # same text, same model
    r = sclient.post("/api/sbml/biomodels/notes")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "biomodel"
    for bad in ("..%2F..%2Fetc%2Fpasswd", "BIOMD0000099901", "a.xml"):
        r = sclient.post(f"/api/sbml/biomodels/{bad}")
        assert r.status_code in (404, 422), (bad, r.status_code)


def test_explorer_page_imports_a_biomodels_file_and_shows_it(sclient):
    r = sclient.get("/explorer?biomodel=biomd0000099901", follow_redirects=False)
    assert r.status_code == 303
    loc = r.headers["location"]
    assert re.fullmatch(r"/explorer\?model=sbml_[0-9a-f]{16}", loc)
    page = sclient.get(loc)
    assert page.status_code == 200
    assert "Imported SBML model" in page.text and "time in the file's units" in page.text
    assert 'id="p-A0"' in page.text and 'id="s-S"' not in page.text  # S is set by its initial assignment
    assert "Escape mechanisms</legend>" not in page.text
    assert 'id="biomodel"' in page.text and 'id="sbml-file"' in page.text
    r = sclient.get("/explorer?biomodel=nothere")
    assert r.status_code == 422 and "unknown BioModels id" in r.text
    r = sclient.get("/explorer?model=sbml_0123456789abcdef")
    assert r.status_code == 404 and "import its file again" in r.text
    r = sclient.post("/api/simulate", json={"model": "sbml_0123456789abcdef"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "model"


def test_every_shared_biomodels_file_imports_through_the_api(tmp_path):
    """The server's default folder (``$ONCOIMMUNE_SHARED/data/biomodels``): each file imports (102 of 103 are
    valid SBML; docs/sbml.md names the other) and one patient simulates."""
    from fastapi.testclient import TestClient

    from oncoimmune.web import create_app
    from oncoimmune.web.imported import biomodels_dir

    if biomodels_dir() is None:
        pytest.skip("no shared BioModels folder ($ONCOIMMUNE_SHARED/data/biomodels)")
    with TestClient(create_app(tmp_path, warm=False)) as c:
        listed = c.get("/api/sbml/biomodels").json()
        assert len(listed) >= 100
        ok, refused = 0, []
        for b in listed:
            r = c.post(f"/api/sbml/biomodels/{b['id']}")
            if r.status_code == 200:
                ok += 1
            else:
                assert r.status_code == 422 and r.json()["detail"][0]["field"] == "biomodel"
                refused.append(b["id"])
        assert ok >= len(listed) - 1, refused
        d = c.post(f"/api/sbml/biomodels/{listed[0]['id']}").json()
        r = c.post("/api/simulate", json={"model": d["id"], "days": 10, "points": 11})
        assert r.status_code == 200 and r.json()["status"] == "ok", r.text
        assert math.isfinite(r.json()["states"][d["states"][0]["name"]][-1])
