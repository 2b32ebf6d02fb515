"""Dose schedules: validation when built, exact dose times, doses, and their events."""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest

from oncoimmune import Event, ScheduleError
from oncoimmune.therapy import (
    Break,
    Dose,
    Intralesional,
    IVBolus,
    IVInfusion,
    Schedule,
    Subcutaneous,
    bsa_mosteller,
    get_drug,
)
from oncoimmune.therapy.schedule import as_route


# validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"dose": Dose(200), "every_days": 0}, "every_days"),
        ({"dose": Dose(200), "every_days": -7}, "every_days"),
        ({"dose": Dose(200), "every_days": math.nan}, "every_days"),
        ({"dose": Dose(200), "every_days": 21, "cycles": 0}, "cycles"),
        ({"dose": Dose(200), "every_days": 21, "cycles": 2.5}, "cycles"),
        ({"dose": Dose(200), "every_days": 21, "cycles": True}, "cycles"),
        ({"dose": Dose(200), "every_days": 21, "start_day": -1}, "start_day"),
        ({"dose": "200 mg", "every_days": 21}, "Schedule.dose"),
        (
            {"dose": Dose(6), "every_days": 21, "cycles": 3, "loading": Dose(8), "loading_cycles": 4},
            "loading_cycles",
        ),
        ({"dose": Dose(6), "every_days": 21, "loading_cycles": 2}, "loading"),
        ({"dose": Dose(6), "every_days": 21, "loading_every_days": 7}, "loading"),
        (
            {"dose": Dose(6), "every_days": 21, "loading": Dose(8), "loading_every_days": 0},
            "loading_every_days",
        ),
        ({"dose": Dose(200), "every_days": 21, "route": "iv_infusion"}, "IVInfusion.minutes"),
        ({"dose": Dose(200), "every_days": 21, "route": "oral"}, "Schedule.route"),
        ({"dose": Dose(200), "every_days": 21, "breaks": [(10, 20)]}, "breaks"),
        ({"dose": Dose(200), "every_days": 21, "breaks": [Break(30, 50), Break(40, 60)]}, "non-overlapping"),
        (
            {"dose": Dose(200), "every_days": 21, "cycles": 2, "breaks": [Break(0, 30)]},
            "skip every administration",
        ),
    ],
)
def test_invalid_schedules_are_refused_when_built(kwargs, field):
    with pytest.raises(ScheduleError, match=field):
        Schedule("drug", **kwargs)


def test_empty_drug_name_is_refused():
    with pytest.raises(ScheduleError, match="Schedule.drug"):
        Schedule("  ", Dose(1), every_days=7)


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: Dose(-1), "Dose.amount"),
        (lambda: Dose(math.inf), "Dose.amount"),
        (lambda: Dose(5, "mg/L"), "Dose.unit"),
        (lambda: Break(10, 10), "end_day"),
        (lambda: Break(-1, 10), "start_day"),
        (lambda: Break(1, 10, policy="hold"), "policy"),
        (lambda: IVInfusion(0.0), "duration_days"),
        (lambda: IVInfusion.minutes(-30), "minutes"),
        (lambda: IVInfusion.hours(0), "hours"),
    ],
)
def test_invalid_parts_are_refused_when_built(make, field):
    with pytest.raises(ScheduleError, match=field):
        make()


def test_schedule_is_immutable():
    s = Schedule("pembrolizumab", Dose(200), every_days=21, cycles=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.every_days = 14  # type: ignore[misc]


def test_numbers_and_route_names_are_accepted():
    s = Schedule("x", 100, every_days=7, cycles=2, route="sc")
    assert s.dose == Dose(100, "mg")
    assert isinstance(s.route, Subcutaneous)
    assert isinstance(as_route("iv_bolus"), IVBolus)
    assert isinstance(as_route("intralesional"), Intralesional)
    assert Dose(375, "mg/m^2").unit == "mg/m2"


# dose amounts ----------------------------------------------------------------------------
def test_dose_units_resolve_against_patient_size():
    assert Dose(200).resolve() == 200.0
    assert Dose(6, "mg/kg").resolve(weight_kg=70) == pytest.approx(420.0)
    assert Dose(375, "mg/m2").resolve(bsa_m2=1.9) == pytest.approx(712.5)


@pytest.mark.parametrize(
    "dose, kwargs, field",
    [
        (Dose(6, "mg/kg"), {}, "weight_kg"),
        (Dose(375, "mg/m2"), {}, "bsa_m2"),
        (Dose(6, "mg/kg"), {"weight_kg": 0}, "weight_kg"),
        (Dose(6, "mg/kg"), {"weight_kg": -70}, "weight_kg"),
        (Dose(375, "mg/m2"), {"bsa_m2": math.nan}, "bsa_m2"),
    ],
)
def test_size_based_doses_need_the_patient_size(dose, kwargs, field):
    with pytest.raises(ScheduleError, match=field):
        dose.resolve(**kwargs)


def test_bsa_mosteller():
    """Mosteller 1987 (N Engl J Med 317:1098): BSA = sqrt(height_cm * weight_kg / 3600)."""
    assert bsa_mosteller(180, 80) == pytest.approx(math.sqrt(180 * 80 / 3600))
    assert bsa_mosteller(180, 80) == pytest.approx(2.0)


# dose times ------------------------------------------------------------------------------
@pytest.mark.parametrize("weeks", [1, 2, 3, 6])
def test_regular_intervals(weeks):
    s = Schedule("x", Dose(100), every_days=7 * weeks, cycles=5)
    assert s.dose_times() == tuple(7.0 * weeks * k for k in range(5))


def test_start_day_shifts_every_dose():
    s = Schedule("x", Dose(100), every_days=21, cycles=3, start_day=10)
    assert s.dose_times() == (10.0, 31.0, 52.0)


def test_any_interval_in_days():
    s = Schedule("x", Dose(100), every_days=10.5, cycles=3)
    assert s.dose_times() == (0.0, 10.5, 21.0)


def test_loading_then_maintenance_amounts_and_times():
    s = Schedule("trastuzumab", Dose(6, "mg/kg"), every_days=21, cycles=4, loading=Dose(8, "mg/kg"))
    adm = s.administrations(weight_kg=70)
    assert [a.time for a in adm] == [0.0, 21.0, 42.0, 63.0]
    assert [a.amount_mg for a in adm] == pytest.approx([560.0, 420.0, 420.0, 420.0])
    assert [a.loading for a in adm] == [True, False, False, False]


def test_loading_phase_with_its_own_interval_and_route():
    """Induction Q3W x4, maintenance Q2W starting 3 weeks after the last induction dose."""
    s = Schedule(
        "x",
        Dose(240),
        every_days=14,
        cycles=6,
        loading=Dose(3, "mg/kg"),
        loading_cycles=4,
        loading_every_days=21,
        loading_route=IVInfusion.minutes(60),
        route=IVInfusion.minutes(30),
    )
    adm = s.administrations(weight_kg=80)
    assert [a.time for a in adm] == [0.0, 21.0, 42.0, 63.0, 84.0, 98.0]
    assert [a.amount_mg for a in adm] == pytest.approx([240.0] * 4 + [240.0] * 2)
    assert [a.route.duration * 1440 for a in adm] == pytest.approx([60] * 4 + [30] * 2)


def test_break_skip_drops_doses_inside_the_window_and_keeps_the_grid():
    s = Schedule("x", Dose(100), every_days=21, cycles=6, breaks=[Break(40, 70)])
    assert s.dose_times() == (0.0, 21.0, 84.0, 105.0)


def test_break_delay_postpones_the_rest_of_the_schedule():
    s = Schedule("x", Dose(100), every_days=21, cycles=5, breaks=[Break(40, 50, policy="delay")])
    assert s.dose_times() == (0.0, 21.0, 50.0, 71.0, 92.0)


def test_two_breaks_in_a_row():
    s = Schedule("x", Dose(100), every_days=7, cycles=6, breaks=[Break(6, 8, "delay"), Break(8, 10, "delay")])
    assert s.dose_times() == (0.0, 10.0, 17.0, 24.0, 31.0, 38.0)


def test_until_truncates_and_open_ended_schedules_need_it():
    s = Schedule("nivolumab", Dose(240), every_days=14)
    assert s.dose_times(until=56) == (0.0, 14.0, 28.0, 42.0)
    with pytest.raises(ScheduleError, match="until"):
        s.dose_times()
    with pytest.raises(ScheduleError, match="until"):
        s.events("c")


def test_label_schedules_of_the_catalogue():
    """Label regimens (KEYTRUDA, OPDIVO, HERCEPTIN, RITUXAN USPI section 2)."""
    pem = get_drug("pembrolizumab")
    assert pem.schedule("200mg_q3w").dose_times()[:3] == (0.0, 21.0, 42.0)
    assert pem.schedule("400mg_q6w").administrations()[1].amount_mg == 400.0
    niv = get_drug("nivolumab").schedule("480mg_q4w")
    assert niv.dose_times(until=100) == (0.0, 28.0, 56.0, 84.0)
    tra = get_drug("trastuzumab").schedule("8_6mgkg_q3w").administrations(weight_kg=60)
    assert [a.amount_mg for a in tra[:2]] == pytest.approx([480.0, 360.0])
    assert tra[0].route.duration == pytest.approx(90 / 1440) and tra[1].route.duration == pytest.approx(
        30 / 1440
    )
    rit = get_drug("rituximab").schedule("375mgm2_weekly_x4")
    assert rit.dose_times() == (0.0, 7.0, 14.0, 21.0)
    assert rit.total_mg(bsa_m2=2.0) == pytest.approx(4 * 750.0)


# events ----------------------------------------------------------------------------------
def test_bolus_events_are_state_adds_at_dose_times():
    s = Schedule("x", Dose(2, "mg/kg"), every_days=7, cycles=3, route=IVBolus())
    evs = s.events("x_central", weight_kg=50)
    assert all(isinstance(e, Event) for e in evs)
    assert [(e.time, e.target, e.op, e.kind, e.value) for e in evs] == [
        (0.0, "x_central", "add", "state", 100.0),
        (7.0, "x_central", "add", "state", 100.0),
        (14.0, "x_central", "add", "state", 100.0),
    ]


def test_infusion_events_switch_a_rate_on_and_off():
    s = Schedule("x", Dose(200), every_days=21, cycles=2, route=IVInfusion.minutes(30))
    evs = s.events(rate_parameter="x_rate")
    d = 30 / 1440
    assert [(e.time, e.op, e.kind) for e in evs] == [
        (0.0, "set", "parameter"),
        (pytest.approx(d), "set", "parameter"),
        (21.0, "set", "parameter"),
        (pytest.approx(21.0 + d), "set", "parameter"),
    ]
    assert [e.value for e in evs] == pytest.approx([200 / d, 0.0, 200 / d, 0.0])


def test_overlapping_infusions_merge_into_one_rate_delivering_every_dose():
    s = Schedule("x", Dose(100), every_days=1.0, cycles=3, route=IVInfusion(2.5))
    evs = s.events(rate_parameter="r")
    times = [e.time for e in evs]
    assert times == sorted(times)
    delivered = sum(e.value * (nxt.time - e.time) for e, nxt in itertools.pairwise(evs))
    assert evs[-1].value == 0.0
    assert delivered == pytest.approx(300.0, rel=1e-12)
    assert max(e.value for e in evs) == pytest.approx(3 * 40.0)


def test_infusion_total_equals_the_dose_for_label_regimens():
    """Sum of rate x duration over the rate events equals the sum of doses (HERCEPTIN USPI 2.3 regimen)."""
    s = get_drug("trastuzumab").schedule("8_6mgkg_q3w")
    evs = s.events(rate_parameter="r", weight_kg=72)
    delivered = sum(e.value * (nxt.time - e.time) for e, nxt in itertools.pairwise(evs))
    assert delivered == pytest.approx(s.total_mg(weight_kg=72), rel=1e-12)
    assert s.total_mg(weight_kg=72) == pytest.approx(72 * (8 + 17 * 6))


def test_zero_dose_is_allowed_and_gives_zero_events():
    s = Schedule("x", Dose(0), every_days=21, cycles=3)
    assert all(e.value == 0.0 for e in s.events("c"))
    inf = Schedule("x", Dose(0), every_days=21, cycles=3, route=IVInfusion.minutes(30))
    assert all(e.value == 0.0 for e in inf.events(rate_parameter="r"))


def test_events_name_the_missing_target():
    with pytest.raises(ScheduleError, match="target_state"):
        Schedule("x", Dose(1), every_days=7, cycles=1).events()
    with pytest.raises(ScheduleError, match="rate_parameter"):
        Schedule("x", Dose(1), every_days=7, cycles=1, route=IVInfusion.hours(1)).events("c")


def test_mixed_loading_infusion_and_bolus_maintenance():
    s = Schedule("x", Dose(10), every_days=7, cycles=3, loading=Dose(50), loading_route=IVInfusion.hours(2))
    evs = s.events("c", rate_parameter="r")
    kinds = [(e.time, e.kind) for e in evs]
    assert kinds == [
        (0.0, "parameter"),
        (pytest.approx(2 / 24), "parameter"),
        (7.0, "state"),
        (14.0, "state"),
    ]


def test_intralesional_and_subcutaneous_doses_are_adds_to_the_named_state():
    il = Schedule("tvec", Dose(4), every_days=14, cycles=2, route=Intralesional())
    assert [(e.target, e.op) for e in il.events("lesion_virus")] == [("lesion_virus", "add")] * 2
    sc = Schedule("x", Dose(600), every_days=21, cycles=2, route=Subcutaneous())
    assert [e.target for e in sc.events("x_depot")] == ["x_depot"] * 2


def test_describe_and_to_dict():
    s = get_drug("trastuzumab").schedule("8_6mgkg_q3w")
    text = s.describe()
    assert "8 mg/kg" in text and "6 mg/kg" in text and "21" in text
    d = s.to_dict()
    assert d["cycles"] == 18 and d["loading"] == "8 mg/kg" and d["route"] == "iv_infusion"


@pytest.mark.parametrize(
    "times, hours",
    [
        ([0.0, 21.0, 42.0], 0.5),  # the usual q3w regimen: the one-pass path
        ([0.0, 1.0, 1.0 + 2 / 24], 2.0),  # back to back: the second starts as the first ends
        ([0.0, 0.05, 3.0], 2.0),  # overlapping: the general sweep
        ([5.0, 0.0, 2.0], 1.0),  # given out of order
    ],
)
def test_one_pass_and_general_infusion_events_agree(times, hours):
    from oncoimmune.therapy.schedule import Administration, _infusion_events

    route = IVInfusion(hours / 24)
    adm = [Administration(t, 100.0 + k, route, k) for k, t in enumerate(times)]
    got = _infusion_events(adm, "r", "x")
    # the general rule, written out: at every start or end, the summed rate of the infusions running then
    segs = [(a.time, a.end, a.amount_mg / route.duration) for a in adm]
    cuts = sorted({s[0] for s in segs} | {s[1] for s in segs})
    want = [(c, sum(r for a, b, r in segs if a <= c < b)) for c in cuts]
    assert [(e.time, e.op) for e in got] == [(c, "set") for c, _ in want]
    assert [e.value for e in got] == pytest.approx([r for _, r in want], rel=1e-15)
    assert [e.label.endswith("infusion end") for e in got] == [r == 0 for _, r in want]
