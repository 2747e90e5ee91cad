"""Calibration: invoices fix the real prices; a solved scenario reproduces every invoice; bad input is named."""

import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import ROOT
from sapa_model import ScenarioError, compute, load_scenario
from sapa_model.scenarios import scenario_from_data
from sapa_model.views import fmt

CASES = yaml.safe_load((ROOT / "tests" / "cases" / "calibration.yaml").read_text(encoding="utf-8"))


def _calibrated(invoices, **extra):
    return scenario_from_data({"name": "kalibreret", "calibration": invoices, **extra})


def _bill(table, kommune, component="sapa", model="new"):
    rows = table[(table["kommune"] == kommune) & (table["component"] == component) & (table["model"] == model)]
    return rows.set_index("year")["amount_dkk"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["case"])
def test_hand_computed_calibration(case):
    scenario = _calibrated(case["invoices"])
    params = scenario.params
    for year, price in case["price"].items():
        assert params["sapa.price.calibrated"].by_year()[year] == pytest.approx(price, abs=1e-9)
        assert compute(scenario, [year]).attrs["sapa_price"][year] == pytest.approx(price, abs=1e-9)
    assert params.value("sapa.knee.rate", "2021-01-01") == pytest.approx(case["rate"], abs=1e-9)
    solved_rate = any(i["kommune"] == "Aarhus" for i in case["invoices"])
    assert (params["sapa.knee.rate"].status == "calibrated") == solved_rate
    assert scenario.calibrated.residuals["residual_dkk"].abs().max() < 0.005  # every invoice to the øre


def test_an_invoice_fixes_its_year_later_years_carry_it_forward_and_earlier_years_stay_derived():
    scenario = _calibrated(CASES[0]["invoices"])
    table = compute(scenario, [2020, 2021, 2022])
    new = table[(table["model"] == "new") & (table["component"] == "sapa")]
    assert (new.loc[new["year"] == 2021, "calibrated"] == "sapa.price.calibrated").all()
    assert not new.loc[new["year"] == 2021, "illustrative"].str.contains("old_model").any()
    assert new.loc[new["year"] == 2020, "illustrative"].str.contains("old_model.full_price").all()  # still derived
    assert table.attrs["sapa_price"][2020] == pytest.approx(compute(None, [2020]).attrs["sapa_price"][2020])
    assert table.attrs["sapa_price"][2022] == pytest.approx(12.0)  # 2021's price carried, no index: unchanged
    later = new[new["year"] == 2022]
    assert (later["status"] == "assumption").all() and later["assumption"].str.contains("prices.carry_forward").all()
    assert later["extrapolated"].str.contains("sapa.price.calibrated").all()
    assert not later["illustrative"].str.contains("old_model").any()
    assert table.attrs["carried"]["sapa"] == {2022: 2021}


def test_carried_forward_the_last_invoiced_price_holds_after_it_and_says_so():
    """Invoices for 2019 (3,00) and 2021 (12,00): 2020 carries 2019's price, 2022-2023 carry 12,00, each marked
    as carried forward and as resting on that assumption; with after_known 'derived' those years are derived."""
    invoices = CASES[1]["invoices"] + CASES[0]["invoices"]
    table = compute(_calibrated(invoices), range(2019, 2024))
    assert [table.attrs["sapa_price"][y] for y in range(2019, 2024)] == pytest.approx([3.0, 3.0, 12.0, 12.0, 12.0])
    laesoe = table[(table["kommune"] == "Læsø") & (table["model"] == "new") & (table["component"] == "sapa")]
    laesoe = laesoe.set_index("year")
    assert laesoe.loc[2023, "amount_dkk"] == pytest.approx(12.0 * laesoe.loc[2023, "population"], abs=0.005)
    assert laesoe.loc[[2022, 2023], "extrapolated"].str.contains("sapa.price.calibrated").all()
    assert laesoe.loc[[2020, 2022, 2023], "assumption"].str.contains("prices.carry_forward").all()
    assert not laesoe.loc[[2019, 2021], "assumption"].str.contains("carry_forward").any()
    assert laesoe.loc[2021, "extrapolated"] == "" and laesoe.loc[2021, "calibrated"] == "sapa.price.calibrated"
    choice = {"sapa.price.after_known": {"value": "derived", "status": "assumption", "reference": "test"}}
    derived = compute(_calibrated(invoices, parameters=choice), [2020, 2022]).attrs["sapa_price"]
    assert derived == pytest.approx(compute(None, [2020, 2022]).attrs["sapa_price"])  # each year its own price


def test_carried_prices_follow_the_price_index_so_fixed_price_years_stay_level():
    """2021's invoiced 12,00 kr. carried into 2022-2023 with the template's P/L growth (4,5 % and 3,5 %); in
    2021 prices the three years pay the same per weighted inhabitant."""
    from sapa_model.analysis.budget import Basis, express

    index = load_scenario(ROOT / "scenarios/pl_index_template.yaml").parameters
    scenario = _calibrated(CASES[0]["invoices"], parameters=index)
    table = compute(scenario, [2021, 2022, 2023])
    assert [table.attrs["sapa_price"][y] for y in (2021, 2022, 2023)] == pytest.approx([12.0, 12.0 * 1.045, 12.0 * 1.045 * 1.035])
    laesoe = table[(table["kommune"] == "Læsø") & (table["model"] == "new") & (table["component"] == "sapa")]
    assert laesoe.set_index("year").loc[2023, "illustrative"] == "prices.index"  # the placeholder index it rests on
    fixed = express(table, Basis(1, 2021), scenario.params)
    per_weighted = fixed[(fixed["kommune"] == "Læsø") & (fixed["component"] == "sapa") & (fixed["model"] == "new")]
    per_weighted = per_weighted.set_index("year")["amount_dkk"] / per_weighted.set_index("year")["population"]
    assert per_weighted.to_numpy() == pytest.approx([12.0, 12.0, 12.0])


def test_round_trip_recovers_the_parameters_and_all_98_bills_to_the_krone():
    """Compute with known prices, take five bills as invoices, calibrate from the baseline: the parameters come
    back, and so do all 98 municipalities' SAPA bills and Aalborg's KMD Sag bills."""
    known = scenario_from_data({"name": "kendt", "parameters": {
        "sapa.price.method": "given", "sapa.price.per_inhabitant": {"2019-01-01": 9.0, "2021-01-01": 11.37,
                                                                    "2022-01-01": 12.05},
        "sapa.knee.rate": 0.35, "kmd_sag.baseline_per_inhabitant": 24.5}})
    truth = compute(known, [2020, 2021, 2022])
    invoices = [
        {"kommune": k, "year": y, "component": c, "amount_dkk": round(float(_bill(truth, k, c)[y]), 2),
         "reference": f"{k} {y}"}
        for k, y, c in [("Aarhus", 2021, "sapa"), ("Læsø", 2021, "sapa"), ("Odense", 2022, "sapa"),
                        ("Ærø", 2022, "sapa"), ("Aalborg", 2020, "kmd_sag")]
    ]
    scenario = _calibrated(invoices)
    assert scenario.params["sapa.knee.rate"].values[0] == pytest.approx(0.35, abs=1e-6)
    assert scenario.params["kmd_sag.baseline.851"].values[0] == pytest.approx(24.5 * 203_448, rel=1e-6)
    table = compute(scenario, [2020, 2021, 2022])
    for year in (2021, 2022):
        got = table[(table["year"] == year) & (table["model"] == "new") & (table["component"] == "sapa")]
        want = truth[(truth["year"] == year) & (truth["model"] == "new") & (truth["component"] == "sapa")]
        assert np.abs(got["amount_dkk"].to_numpy() - want["amount_dkk"].to_numpy()).max() < 0.5
    assert np.allclose(_bill(table, "Aalborg", "kmd_sag"), _bill(truth, "Aalborg", "kmd_sag"), atol=0.5)
    assert not np.allclose(_bill(table, "Aarhus", "kmd_sag"), _bill(truth, "Aarhus", "kmd_sag"), atol=0.5)


def test_a_municipalitys_own_kmd_sag_payment_stands_in_for_the_general_one_in_its_figures_only():
    """Aalborg's KMD Sag invoices, 2020: 9,66 months' worth (0,9 x 3 + 0,8 x 6 + 0,72 x 3) and 2021: 2,16, of a
    yearly payment of 24,5 x 203 448 = 4 984 476 kr.: solved as (4 012 503,18 + 897 205,68) / (11,82 / 12)."""
    scenario = _calibrated([
        {"kommune": "Aalborg", "year": 2020, "component": "kmd_sag", "amount_dkk": 4_012_503.18, "reference": "K1"},
        {"kommune": "Aalborg", "year": 2021, "component": "kmd_sag", "amount_dkk": 897_205.68, "reference": "K2"},
    ])
    own = scenario.params["kmd_sag.baseline.851"]
    assert own.values == pytest.approx((4_984_476,), abs=0.01) and own.kommunekode == 851
    assert (own.label, own.unit, own.status) == ("KMD Sag, udgangsbetaling for Aalborg", "kr./år", "calibrated")
    assert own.reference == "Kalibreret fra KMD Sag-fakturaer for Aalborg (2020, 2021): K1; K2"
    assert own.replaces == ("kmd_sag.baseline_per_inhabitant", "kmd_sag.baseline_year") and own.timeless
    assert (own.name, own.origin, [str(d) for d in own.dates]) == ("kmd_sag.baseline.851", "calibration", ["1900-01-01"])
    assert own.description.startswith("Aalborg's yearly KMD Sag payment before any reduction, solved from its own")
    table = compute(scenario, [2020, 2035])  # 2035: past every dated value, but a timeless one is never stale
    kmd = table[(table["component"] == "kmd_sag") & (table["model"] == "old")].set_index(["kommune", "year"])
    assert (kmd.loc["Aalborg", "calibrated"] == "kmd_sag.baseline.851").all()
    assert not kmd.loc["Aalborg", "illustrative"].str.contains("kmd_sag.baseline_per_inhabitant").any()
    assert not kmd.loc["Aalborg", "extrapolated"].str.contains("kmd_sag.baseline").any()
    assert kmd.loc["Aarhus", "illustrative"].str.contains("kmd_sag.baseline_per_inhabitant").all()
    assert (kmd.loc["Aarhus", "calibrated"] == "").all()


def test_consistent_invoices_over_determining_the_price_agree_within_the_tolerance():
    scenario = _calibrated([
        {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 21168.00, "reference": "F1"},
        {"kommune": "Samsø", "year": 2021, "component": "sapa", "amount_dkk": round(12 * 3_682, 2) + 0.4,
         "reference": "F5"},
    ])
    residuals = scenario.calibrated.residuals
    assert residuals["within_tolerance"].all() and residuals["residual_dkk"].abs().max() < 1


def test_one_knee_rate_for_all_years_is_the_mean_of_the_years_own_rates():
    """2021 invoices imply a knee rate of 0,500 and 2022's 0,504 (Læsø below the knee, Aarhus above; 12 kr.):
    close enough for one rate, the mean 0,502, from which each year's price follows. Aarhus beyond the knee:
    202 751 (2021), 205 238 (2022)."""
    scenario = _calibrated([
        {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 12 * 1_764, "reference": "A"},
        {"kommune": "Aarhus", "year": 2021, "component": "sapa", "amount_dkk": 12 * (150_000 + 0.5 * 202_751),
         "reference": "B"},
        {"kommune": "Læsø", "year": 2022, "component": "sapa", "amount_dkk": 12 * 1_769, "reference": "C"},
        {"kommune": "Aarhus", "year": 2022, "component": "sapa", "amount_dkk": 12 * (150_000 + 0.504 * 205_238),
         "reference": "D"},
    ])
    rate = scenario.params["sapa.knee.rate"]
    assert rate.values == pytest.approx((0.502,), abs=1e-9) and rate.status == "calibrated"
    assert [str(d) for d in rate.dates] == ["2019-01-01"]  # one rate, from the rate's first date on
    assert rate.reference == "Kalibreret fra 4 fakturaer: Læsø 2021 (A); Aarhus 2021 (B); Læsø 2022 (C); Aarhus 2022 (D)"
    assert [str(d) for d in scenario.params["sapa.price.calibrated"].dates] == ["2021-01-01", "2022-01-01"]
    prices = scenario.params["sapa.price.calibrated"].by_year()
    # the year's invoices over its units at 0,502: 3 037 674 / (151 764 + 0,502 x 202 751); 2022 likewise
    assert prices[2021] == pytest.approx(3_037_674 / (151_764 + 0.502 * 202_751), abs=1e-9)
    assert prices[2022] == pytest.approx(3_062_507.424 / (151_769 + 0.502 * 205_238), abs=1e-9)
    assert scenario.calibrated.residuals["within_tolerance"].all()


@pytest.mark.parametrize("aarhus,rate", [
    (12 * 150_000, 0.0),  # Aarhus pays for its first 150 000 only: beyond the knee is free
    (12 * 352_751, 1.0),  # Aarhus pays for every inhabitant: no discount
    (12 * (150_000 + 0.4 * 202_751), 0.4),
])
def test_a_knee_rate_of_exactly_0_or_1_is_accepted(aarhus, rate):
    scenario = _calibrated([
        {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 21_168, "reference": "A"},
        {"kommune": "Aarhus", "year": 2021, "component": "sapa", "amount_dkk": aarhus, "reference": "B"},
    ])
    assert scenario.params["sapa.knee.rate"].values == pytest.approx((rate,), abs=1e-12)
    assert 0 <= scenario.params["sapa.knee.rate"].values[0] <= 1


def test_a_price_below_one_krone_is_solved_like_any_other():
    """0,50 kr. per weighted inhabitant, knee rate 0,40: Læsø 0,5 x 1 764, Aarhus 0,5 x (150 000 + 0,4 x 202 751)."""
    scenario = _calibrated([
        {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 882, "reference": "A"},
        {"kommune": "Aarhus", "year": 2021, "component": "sapa", "amount_dkk": 0.5 * (150_000 + 0.4 * 202_751),
         "reference": "B"},
    ])
    assert scenario.params["sapa.price.calibrated"].by_year()[2021] == pytest.approx(0.5)
    assert scenario.params["sapa.knee.rate"].values == pytest.approx((0.4,))


def test_a_reference_names_twenty_invoices_and_counts_the_rest():
    people = compute(None, [2021]).query("model == 'new' and component == 'sapa' and population < 150000")
    small = people.drop_duplicates("kommune").head(21)
    scenario = _calibrated([{"kommune": k, "year": 2021, "component": "sapa", "amount_dkk": 12 * p, "reference": f"R{i}"}
                            for i, (k, p) in enumerate(zip(small["kommune"], small["population"]))])
    reference = scenario.params["sapa.price.calibrated"].reference
    assert reference.startswith("Kalibreret fra 21 fakturaer: ") and reference.endswith("(R19); og 1 flere")
    assert reference.count("(R") == 20


def test_a_value_only_one_invoice_fixes_is_flagged_as_resting_on_that_invoice():
    laesoe = {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 21_168, "reference": "A"}
    aarhus = {"kommune": "Aarhus", "year": 2021, "component": "sapa", "amount_dkk": 2_773_204.80, "reference": "B"}
    samsoe = {"kommune": "Samsø", "year": 2021, "component": "sapa", "amount_dkk": 12 * 3_682, "reference": "S"}
    kmd = [{"kommune": "Aalborg", "year": 2020, "component": "kmd_sag", "amount_dkk": 4_012_503.18, "reference": "K1"},
           {"kommune": "Aalborg", "year": 2021, "component": "kmd_sag", "amount_dkk": 897_205.68, "reference": "K2"}]
    single = lambda invoices: [{**f.values, "where": str(f.values["where"])}  # noqa: E731
                               for f in _calibrated(invoices).calibrated.findings if f.kind == "single"]
    assert single([laesoe]) == [{"parameter": "sapa.price.calibrated", "year": 2021, "where": "calibration item 1"}]
    assert single([laesoe, aarhus]) == [{"parameter": "sapa.knee.rate", "year": None, "where": "calibration item 1"}]
    assert single(kmd[:1]) == [{"parameter": "kmd_sag.baseline.851", "year": None, "where": "calibration item 1"}]
    assert single([*kmd, laesoe, samsoe]) == []


@pytest.mark.parametrize("aarhus,implied", [(12 * (150_000 + 1.2 * 202_751), "1.2"), (12 * 140_000, "-0.0493")])
def test_invoices_implying_a_knee_rate_outside_0_1_are_refused(aarhus, implied):
    with pytest.raises(ScenarioError, match=rf"imply a knee rate outside 0-1 \(a share of the price\): 2021: {implied};"):
        _calibrated([
            {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 21_168, "reference": "A"},
            {"kommune": "Aarhus", "year": 2021, "component": "sapa", "amount_dkk": aarhus, "reference": "B"},
        ])


def test_years_whose_invoices_imply_different_knee_rates_keep_their_own_and_every_invoice_is_reproduced():
    """2021 implies 0,40 and 2022 0,60 (beyond the tolerance for one rate); 2023 has an invoice above the knee
    only (Odense, 207 762 inhabitants, 2 400 000 kr.), so it keeps the assumed 0,5, not 2022's 0,60."""
    invoices = [
        {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 12 * 1_764, "reference": "A"},
        {"kommune": "Aarhus", "year": 2021, "component": "sapa", "amount_dkk": 12 * (150_000 + 0.4 * 202_751),
         "reference": "B"},
        {"kommune": "Læsø", "year": 2022, "component": "sapa", "amount_dkk": 12 * 1_769, "reference": "C"},
        {"kommune": "Aarhus", "year": 2022, "component": "sapa", "amount_dkk": 12 * (150_000 + 0.6 * 205_238),
         "reference": "D"},
        {"kommune": "Odense", "year": 2023, "component": "sapa", "amount_dkk": 2_400_000, "reference": "E"},
        {"kommune": "Læsø", "year": 2020, "component": "sapa", "amount_dkk": 12 * 1_786, "reference": "Z"},
    ]
    scenario = _calibrated(invoices)
    differ = [f.values for f in scenario.calibrated.findings if f.kind == "rates_differ"]
    assert differ == [{"rates": pytest.approx({2021: 0.4, 2022: 0.6}, abs=1e-9)}]
    # 2020 (before the first year whose rate changed) keeps the rate as it was, with no date of its own
    assert [str(d) for d in scenario.params["sapa.knee.rate"].dates] == [
        "2019-01-01", "2021-01-01", "2022-01-01", "2023-01-01"]
    rate = lambda year: scenario.params.value("sapa.knee.rate", f"{year}-06-01")  # noqa: E731
    assert [rate(y) for y in (2020, 2021, 2022, 2023)] == pytest.approx([0.5, 0.4, 0.6, 0.5], abs=1e-9)
    assert scenario.params["sapa.knee.rate"].status == "calibrated"
    assert scenario.params["sapa.knee.rate"].reference.startswith("Kalibreret fra 5 fakturaer: Læsø 2021 (A);")
    prices = scenario.params["sapa.price.calibrated"]
    assert prices.by_year() == pytest.approx({2020: 12, 2021: 12, 2022: 12,
                                              2023: 2_400_000 / (150_000 + 0.5 * 57_762)})
    assert prices.reference == ("Kalibreret fra 6 fakturaer: Læsø 2021 (A); Aarhus 2021 (B); Læsø 2022 (C); "
                                "Aarhus 2022 (D); Odense 2023 (E); Læsø 2020 (Z)")
    table = compute(scenario, [2020, 2021, 2022, 2023])
    for invoice in invoices:
        assert _bill(table, invoice["kommune"])[invoice["year"]] == pytest.approx(invoice["amount_dkk"], abs=0.01)


@pytest.mark.parametrize("amount,agrees", [
    (44_850, True), (44_450, True),  # 200 kr. off: within 0,5 % of the invoice (224,25 / 222,25 kr.)
    (44_900, False), (44_400, False),  # 250 kr. off: beyond it (224,50 / 222,00 kr.)
])
def test_an_invoice_agrees_within_half_a_percent_and_not_beyond(amount, agrees):
    """Læsø's infrastructure 2020 at its documented price: 25 x 1 786 = 44 650 kr."""
    invoice = {"kommune": "Læsø", "year": 2020, "component": "infrastructure", "amount_dkk": amount, "reference": "I"}
    if agrees:
        assert _calibrated([invoice]).calibrated.residuals["within_tolerance"].all()
    else:
        with pytest.raises(ScenarioError, match="do not agree"):
            _calibrated([invoice])


def test_the_tolerance_is_one_krone_or_half_a_percent_whichever_is_larger():
    from sapa_model.scenarios.calibration import tolerance

    assert tolerance(np.array([50.0, 200.0, 400.0, -400.0, 44_100.0])) == pytest.approx([1, 1, 2, 2, 220.5])


def test_an_invoice_with_moms_is_named_and_nothing_is_applied():
    with pytest.raises(ScenarioError) as caught:
        _calibrated([
            {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 21168.00, "reference": "F1"},
            {"kommune": "Samsø", "year": 2021, "component": "sapa", "amount_dkk": 12 * 3_682 * 1.25,
             "reference": "F5 (med moms)"},
        ])
    message = str(caught.value)
    assert "Samsø 2021 SAPA" in message and "Læsø 2021 SAPA" in message and "moms" in message


def test_every_disagreeing_invoice_is_named_with_what_it_implies():
    """Samsø's SAPA, Aalborg's 2021 KMD Sag and Læsø's 2020 buffet with moms (x 1,25), Læsø's 2020 infrastructure
    at 80 %: each is named with the price or payment it implies on its own."""
    with pytest.raises(ScenarioError) as caught:
        _calibrated([
            {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 21168.00, "reference": "F1"},
            {"kommune": "Samsø", "year": 2021, "component": "sapa", "amount_dkk": 12 * 3682 * 1.25, "reference": "F2"},
            {"kommune": "Aalborg", "year": 2020, "component": "kmd_sag", "amount_dkk": 4_012_503.18, "reference": "K1"},
            {"kommune": "Aalborg", "year": 2021, "component": "kmd_sag", "amount_dkk": 897_205.68 * 1.25,
             "reference": "K2"},
            {"kommune": "Læsø", "year": 2020, "component": "buffet", "amount_dkk": 2.79 * 1786 * 1.25, "reference": "B1"},
            {"kommune": "Læsø", "year": 2020, "component": "infrastructure", "amount_dkk": 44650 * 0.8, "reference": "I1"},
        ])
    assert str(caught.value).splitlines()[2:] == [
        "  calibration item 1: Læsø 2021 SAPA: the invoice of 21168.00 kr. implies a price of 12.00 kr. per weighted "
        "inhabitant; the calibrated model gives 24745.88 kr.",
        "  calibration item 2: Samsø 2021 SAPA: the invoice of 55230.00 kr. implies a price of 15.00 kr. per weighted "
        "inhabitant; the calibrated model gives 51652.12 kr.",
        "  calibration item 3: Aalborg 2020 KMD Sag: the invoice of 4012503.18 kr. implies a starting payment of "
        "4984476 kr. a year; the calibrated model gives 4195815.51 kr.",
        "  calibration item 4: Aalborg 2021 KMD Sag: the invoice of 1121507.10 kr. implies a starting payment of "
        "6230595 kr. a year; the calibrated model gives 938194.77 kr.",
        "  calibration item 5: Læsø 2020 buffet (documented price, buffet.price_per_inhabitant): the invoice of "
        "6228.68 kr. implies a price of 3.49 kr. per weighted inhabitant; the calibrated model gives 4982.94 kr.",
        "  calibration item 6: Læsø 2020 infrastructure (documented price, infrastructure.price_per_inhabitant): the "
        "invoice of 35720.00 kr. implies a price of 20.00 kr. per weighted inhabitant; the calibrated model gives "
        "44650.00 kr.",
    ]


def test_infrastructure_is_checked_against_its_documented_price_in_a_year_it_has_one():
    good = {"kommune": "Læsø", "year": 2020, "component": "infrastructure", "amount_dkk": 25 * 1_786, "reference": "I"}
    assert _calibrated([good]).calibrated.parameters == {}
    with pytest.raises(ScenarioError, match=r"Læsø 2020 infrastructure \(documented price, infrastructure.price_per_inhabitant\)"):
        _calibrated([{**good, "amount_dkk": 25 * 1_786 * 1.25}])


def test_a_later_infrastructure_invoice_fixes_its_year_says_what_it_replaced_and_is_carried_forward():
    """27 kr. per weighted inhabitant invoiced for 2024 (Læsø, 1 759 inhabitants: 47 493 kr.): the 2020 price
    carried forward no longer binds 2024; 2025 carries 27 kr. on."""
    from sapa_model.views.prose import finding

    scenario = _calibrated([{"kommune": "Læsø", "year": 2024, "component": "infrastructure", "amount_dkk": 47_493.00,
                             "reference": "I-2024"}])
    assert scenario.params["infrastructure.price_calibrated"].by_year() == {2024: pytest.approx(27.0)}
    table = compute(scenario, [2023, 2024, 2025])
    infra = _bill(table, "Aarhus", "infrastructure")
    people = table[(table["kommune"] == "Aarhus")].drop_duplicates("year").set_index("year")["population"]
    weighted = lambda p: 150_000 + 0.5 * (p - 150_000)
    assert infra[2023] == pytest.approx(25 * weighted(people[2023])) and infra[2024] == pytest.approx(27 * weighted(people[2024]))
    assert infra[2025] == pytest.approx(27 * weighted(people[2025]))
    replaced = [finding(f, scenario.params) for f in scenario.calibrated.findings if f.kind == "replaces"]
    assert replaced == ["Infrastrukturpris, kalibreret fra fakturaer 2024: 27,00 kr. (erstatter 25,00 kr., fremskrevet fra 2020)."]
    rows = table[(table["component"] == "infrastructure") & (table["model"] == "new")].set_index(["kommune", "year"])
    assert rows.loc[("Aarhus", 2024), "status"] == "calibrated" and rows.loc[("Aarhus", 2023), "status"] == "assumption"


def test_a_kmd_sag_invoice_after_the_modelled_switch_off_is_accepted_and_carried_forward():
    """The model has KMD Sag switched off in April 2021 (a placeholder date); a 2025 invoice of 6 000 kr. says
    Læsø still pays: 2025 pays 6 000 kr., 2026 carries it, 2024 stays as modelled (0)."""
    scenario = _calibrated([{"kommune": "Læsø", "year": 2025, "component": "kmd_sag", "amount_dkk": 6_000,
                             "reference": "K-2025"}])
    bills = _bill(compute(scenario, [2024, 2025, 2026]), "Læsø", "kmd_sag")
    assert bills.tolist() == pytest.approx([0.0, 6_000.0, 6_000.0])
    others = _bill(compute(scenario, [2025]), "Samsø", "kmd_sag")
    assert others[2025] == 0


def test_kmd_sag_paid_after_the_switch_off_is_a_yearly_amount_per_invoiced_year():
    """Half of 2025 for 3 000 kr. is 6 000 kr. a year; 2026 invoiced at 6 600 kr.; 2027 carries 6 600 kr. on."""
    scenario = _calibrated([
        {"kommune": "Læsø", "year": 2025, "component": "kmd_sag", "amount_dkk": 3_000, "months": 6, "reference": "K1"},
        {"kommune": "Læsø", "year": 2026, "component": "kmd_sag", "amount_dkk": 6_600, "reference": "K2"},
    ])
    paid = scenario.params["kmd_sag.paid.825"]
    assert (paid.name, paid.values, [str(d) for d in paid.dates]) == (
        "kmd_sag.paid.825", (6_000.0, 6_600.0), ["2025-01-01", "2026-01-01"])
    assert (paid.label, paid.unit, paid.status, paid.origin, paid.per_year, paid.kommunekode) == (
        "KMD Sag betalt af Læsø, efter modellens slukning", "kr./år", "calibrated", "calibration", True, 825)
    assert paid.reference == "Kalibreret fra 2 fakturaer: Læsø 2025 (K1); Læsø 2026 (K2)"
    assert paid.description.startswith("What Læsø paid for KMD Sag a year, from its invoices of years the model")
    assert {"kmd_sag.baseline_per_inhabitant", "kmd_sag.reduction.ky", "old_model.events.kmd_sag_off.delay"} <= set(
        paid.replaces)
    table = compute(scenario, [2025, 2026, 2027])
    rows = table.query("kommune == 'Læsø' and component == 'kmd_sag' and model == 'new'").set_index("year")
    assert rows["amount_dkk"].tolist() == pytest.approx([6_000, 6_600, 6_600])
    assert rows["calibrated"].tolist() == ["kmd_sag.paid.825"] * 3 and rows.loc[2027, "status"] == "assumption"
    assert not rows["illustrative"].str.contains("kmd_sag.").any()


def test_an_invoice_file_without_a_column_says_which(tmp_path):
    path = tmp_path / "fakturaer.csv"
    path.write_text("kommune;year;beloeb\nLæsø;2021;5\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"invoice file fakturaer.csv needs the columns kommune, year, component, "
                                            r"amount_dkk; missing: component \(its header is 'kommune, year, beloeb'\)"):
        scenario_from_data({"name": "x", "calibration_file": str(path)})


def test_every_bad_row_is_listed_at_once_with_file_and_row(tmp_path):
    path = tmp_path / "fakturaer.csv"
    path.write_text(
        "kommune;year;component;amount_dkk;months;reference\n"
        "Arhus;2021;sapa;100;;A\n"  # row 2: unknown municipality
        "Læsø;2021;sapa;-5;;B\n"  # row 3: negative amount
        "Læsø;2021;kaffe;5;;C\n"  # row 4: unknown component
        "Læsø;2022;sapa;21168;;\n"  # row 5: no reference
        "Læsø;2021;buffet;8467,2;;D\n"  # row 6: fine
        "Læsø;2021;buffet;8467,2;;E\n"  # row 7: duplicate of row 6
        "Læsø;2021;sapa;1.234;;F\n",  # row 8: ambiguous number
        encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data({"name": "x", "calibration_file": str(path)})
    message = str(caught.value)
    for expected in ("fakturaer.csv, row 2: unknown municipality 'Arhus'; did you mean 'Aarhus'?",
                     "row 3: amount_dkk '-5' must be a positive amount", "row 4: component 'kaffe' must be one of",
                     "row 5: reference is missing",
                     "row 6 and 1 other row: Læsø 2021 buffet has several invoices; give months on each row",
                     "row 8: amount_dkk: '1.234' is ambiguous"):
        assert expected in message, expected


def test_every_problem_in_a_scenarios_invoice_list_is_named_in_full():
    """Rows 5 and 6 are fine (0,50 kr. is a positive amount; 3 and 12 are whole numbers of months); the rest are
    named, each with every problem it has, in order."""
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data({"name": "x", "calibration": [
            "Aarhus 2021",
            {"kommune": "Aarhus", "year": 2021, "component": "sapa", "amount_dkk": 5, "reference": "R", "note": 1,
             "bilag": 2},
            {"year": "2021x", "component": "kaffe", "amount_dkk": 0, "months": 0, "reference": "A"},
            {"kommune": "Læsø", "year": 2021, "component": "SAPA ", "amount_dkk": "abc", "months": 13, "reference": " "},
            {"kommune": "Læsø", "year": 2019, "component": "sapa", "amount_dkk": 0.5, "months": 3, "reference": "ok"},
            {"kommune": "Læsø", "year": 2021, "component": "buffet", "amount_dkk": 8467.2, "months": 12,
             "reference": "ok2"},
        ]})
    assert str(caught.value) == """the scenario is not a valid scenario:
  calibration item 1: expected kommune, year, component, amount_dkk, reference
  calibration item 2: unknown field(s) 'note', 'bilag'; the fields are kommune, year, component, amount_dkk, months, month, reference
  calibration item 3: unknown municipality ''; give the Danish name (e.g. 'Aarhus') or the 3-digit code (e.g. 751)
  calibration item 3: year '2021x' is not a year
  calibration item 3: component 'kaffe' must be one of sapa, infrastructure, buffet, kmd_sag
  calibration item 3: amount_dkk 0 must be a positive amount in kroner of at most 1.000.000.000 kr.
  calibration item 3: months 0 must be a whole number of months from 1 to 12
  calibration item 4: amount_dkk: 'abc' is not a number
  calibration item 4: months 13 must be a whole number of months from 1 to 12
  calibration item 4: reference is missing; say where the amount comes from (e.g. the invoice number)"""


def test_an_invoice_rows_own_number_and_the_limit_on_how_many():
    from sapa_model.scenarios.calibration import MAX_OBSERVATIONS, Observation, Where, parse_observations

    row = {"kommune": "læsø", "year": "2021", "component": " Sapa", "amount_dkk": "1", "months": 1, "reference": "x" * 300}
    found, problems = parse_observations([{**row, "row": 7}], "f.csv")
    assert found == [Observation(825, 2021, "sapa", 1.0, 1, "x" * 200, Where("f.csv", 7))] and problems == []
    assert str(found[0].where) == "f.csv, row 7"
    assert found[0].as_data() == {"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 1.0,
                                  "months": 1, "reference": "x" * 200}
    assert "months" not in parse_observations([{**row, "months": ""}], "f")[0][0].as_data()
    assert parse_observations([row] * MAX_OBSERVATIONS, "f.csv")[1] == []
    assert parse_observations([row] * (MAX_OBSERVATIONS + 1), "f.csv")[1] == ["f.csv: more than 2000 observations"]


def test_every_invoice_that_cannot_be_used_is_named_at_once():
    """Not billed (Læsø's infrastructure in 2019), more months than billed; the last model year is accepted."""
    last = int(load_scenario(None).params.value("projection.last_year"))
    with pytest.raises(ScenarioError) as caught:
        _calibrated([
            {"kommune": "Læsø", "year": 2019, "component": "infrastructure", "amount_dkk": 9, "reference": "A"},
            {"kommune": "Læsø", "year": 2019, "component": "sapa", "amount_dkk": 9, "months": 4, "reference": "B"},
            {"kommune": "Læsø", "year": 2019, "component": "buffet", "amount_dkk": 9, "months": 3, "reference": "C"},
        ])
    assert str(caught.value).splitlines()[2:] == [
        "  calibration item 1: infrastructure is not billed to Læsø in 2019 in this model",
        "  calibration item 2: Læsø is billed sapa for 3 months in 2019, not 4",
    ]
    people = compute(None, [last]).query("kommune == 'Læsø' and component == 'buffet' and model == 'new'")
    amount = float(people["amount_dkk"].iloc[0])
    checked = _calibrated([{"kommune": "Læsø", "year": last, "component": "buffet", "amount_dkk": amount,
                            "reference": "D"}]).calibrated.residuals
    assert checked["modelled_dkk"].tolist() == pytest.approx([amount]) and checked["within_tolerance"].all()


@pytest.mark.parametrize("invoice,message", [
    ({"kommune": "Læsø", "year": 2019, "component": "infrastructure"}, "infrastructure is not billed to Læsø in 2019"),
    ({"kommune": "Læsø", "year": 2018, "component": "sapa"}, "year 2018 is outside the years the model covers"),
    ({"kommune": "Læsø", "year": 2019, "component": "sapa", "months": 6}, "billed sapa for 3 months in 2019, not 6"),
])
def test_a_year_or_component_not_billed_is_refused(invoice, message):
    with pytest.raises(ScenarioError, match=message):
        _calibrated([{"amount_dkk": 1000, "reference": "R", **invoice}])


def test_a_placeholder_overridden_in_a_scenario_says_which_scenario_set_it_and_stays_unsourced():
    scenario = scenario_from_data({"name": "Mit gæt", "parameters": {"old_model.full_price": 18}})
    parameter = scenario.params["old_model.full_price"]
    assert parameter.status == "scenario" and "Mit gæt" in parameter.reference
    table = compute(scenario, [2021])
    assert "old_model.full_price" in table.attrs["unsourced"]
    assert (table.loc[(table["model"] == "old") & (table["component"] == "sapa"), "scenario"]
            .str.contains("old_model.full_price")).all()
    with pytest.raises(ScenarioError, match="a sourced value needs a reference"):
        scenario_from_data({"name": "x", "parameters": {"old_model.full_price": {"value": 18, "status": "sourced"}}})
    with pytest.raises(ScenarioError, match="'calibrated' is given by a calibration"):
        scenario_from_data({"name": "x", "parameters": {"sapa.knee.rate": {"value": 0.4, "status": "calibrated"}}})


def test_the_cli_calibrates_from_a_file_and_writes_a_scenario_that_reproduces_the_invoices(tmp_path):
    invoices = tmp_path / "fakturaer.csv"
    invoices.write_text("kommune;year;component;amount_dkk;reference\n"
                        "Aarhus;2021;sapa;2.773.204,80;Faktura 2021-0042\n"
                        "Læsø;2021;sapa;21168,00;Faktura 2021-0077\n", encoding="utf-8-sig")
    out = tmp_path / "min.yaml"
    result = subprocess.run([sys.executable, "-m", "sapa_model.cli", "calibrate", str(invoices), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Knæksats, SAPA" in result.stdout and "40,0 %" in result.stdout and "12,00 i 2021" in result.stdout
    assert "2.773.204,80" in result.stdout and "Faktura 2021-0042" in result.stdout
    table = compute(load_scenario(out), [2021])
    assert _bill(table, "Aarhus")[2021] == pytest.approx(2_773_204.80, abs=0.01)
    assert _bill(table, "Læsø")[2021] == pytest.approx(21_168.00, abs=0.01)
    budget = subprocess.run([sys.executable, "-m", "sapa_model.cli", "budget", "Læsø", "--scenario", str(out),
                             "--budget-year", "2027"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    people = compute(load_scenario(out), [2027]).query("kommune == 'Læsø'")["population"].iloc[0]
    assert f" {fmt.num(12.0 * people)} " in budget.stdout.splitlines()[4]  # 2027: 12,00 kr. x its inhabitants
    assert "SAPA: 2021-prisen fremskrevet uændret, 2027-2030" in budget.stdout
    # no P/L index given: the rule's own value (with_index) may not claim the prices were regulated
    assert "fremskrevet med pris- og lønskønnet (P/L), når et er givet, ellers uændret i kroner" in budget.stdout
    bad = subprocess.run([sys.executable, "-m", "sapa_model.cli", "calibrate", str(tmp_path / "none.csv"), "--out",
                          str(tmp_path / "x.yaml")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_the_explorer_loads_a_calibrated_scenario_and_keeps_its_invoices(tmp_path):
    from sapa_model.app.explorer import Explorer

    scenario = _calibrated(CASES[2]["invoices"])
    path = tmp_path / "kalibreret.yaml"
    path.write_text(scenario.to_yaml(), encoding="utf-8")
    explorer = Explorer(path)
    rate = explorer.sliders["sapa.knee.rate"]
    assert rate.disabled and rate.value == pytest.approx(0.40)  # the invoices fix it, not the slider
    years = sorted(explorer.table["year"].unique())
    assert explorer.table["amount_dkk"].tolist() == compute(load_scenario(path), years)["amount_dkk"].tolist()
    assert "kalibreret fra fakturaer" in explorer.banner.value
    assert [o.as_data() for o in explorer.scenario().calibration] == [o.as_data() for o in scenario.calibration]


def test_a_report_built_from_invoices_says_which_figures_they_fixed(tmp_path):
    from reports_fixture import sapa

    path = tmp_path / "kalibreret.yaml"
    path.write_text(_calibrated(CASES[2]["invoices"]).to_yaml(), encoding="utf-8")
    result = sapa("reports", "--out", str(tmp_path / "out"), "--quiet", "--kommune", "Læsø", "--scenario", str(path))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out/kommuner/825-laesoe.html").read_text(encoding="utf-8")
    banner = page.split('class="sapa-banner"', 1)[1].split("</aside>", 1)[0]
    assert "kalibreret fra fakturaer" in banner and "Kalibreret fra 2 fakturaer: Læsø 2021 (F1); Aarhus 2021 (F3)" in banner
    assert "illustrativ pladsholder" in banner  # what the invoices did not fix is still listed as a placeholder
    assert "2 værdier er kalibreret fra kommunernes egne fakturaer" in banner  # the price and the knee rate


def test_counts_read_as_danish():
    from sapa_model.errors import counted

    assert [counted(n, "faktura", "fakturaer") for n in (0, 1, 2)] == ["0 fakturaer", "1 faktura", "2 fakturaer"]


def test_the_closing_hint_repeats_the_command_as_the_user_ran_it(tmp_path, monkeypatch, capsys):
    from sapa_model.cli import main

    monkeypatch.setattr(sys, "argv", [".venv/bin/sapa"])
    assert main(["calibrate", str(ROOT / "scenarios/fakturaer_eksempel.csv"), "--out", str(tmp_path / "m.yaml")]) == 0
    assert f".venv/bin/sapa reports --scenario {tmp_path / 'm.yaml'}" in capsys.readouterr().out


def _warned(scenario) -> dict[str, list[str]]:
    from sapa_model.views.prose import finding

    found: dict[str, list[str]] = {}
    for item in scenario.calibrated.warnings:
        found.setdefault(item.kind, []).append(finding(item, scenario.params))
    return found


def test_one_monthly_invoice_given_without_months_is_named():
    """Læsø's January 2023 invoice (1/12 of a year at 11,50 kr.) entered as if it were the whole year: it would set
    the price to 0,96 kr. for all 98. It is named as one month's invoice, and as resting on one invoice alone."""
    people = 1_759  # Læsø, 1 January 2023 ... read from the model, not typed twice:
    people = compute(None, [2023]).query("kommune == 'Læsø'")["population"].iloc[0]
    monthly = {"kommune": "Læsø", "year": 2023, "component": "sapa", "amount_dkk": round(11.5 * people / 12, 2),
               "reference": "F-jan"}
    warned = _warned(_calibrated([monthly]))
    assert "én måneds faktura uden antal måneder" in warned["looks_like"][0] and "single" in warned
    assert "looks_like" not in _warned(_calibrated([{**monthly, "months": 1}]))  # with its months it is fine


def test_an_amount_with_moms_beside_one_without_is_named_by_the_knee_rate_and_the_ratio():
    """Læsø without moms, Aarhus with: the two fit exactly with a knee rate of about 26 %, far outside 30-70 %."""
    invoices = [CASES[0]["invoices"][0], {"kommune": "Aarhus", "year": 2021, "component": "sapa",
                                          "amount_dkk": 12 * 1.25 * (150_000 + 0.5 * 202_751), "reference": "med moms"}]
    warned = _warned(_calibrated(invoices))
    assert "uden for det plausible 30 % til 70 %" in warned["knee_band"][0]
    assert "1,25 gange" in " ".join(warned["looks_like"]) and "Aarhus' faktura" in " ".join(warned["looks_like"])
    assert "knee_band" not in _warned(_calibrated(CASES[2]["invoices"]))  # 40 %: plausible


def test_a_price_far_from_a_known_neighbouring_year_is_named_on_both_sides_of_the_limit():
    """The infrastructure's documented 2020 price is 25 kr.; 2021 invoiced at 31,50 (+26 %) is named, at 31,00
    (+24 %) it is not (limit 25 %)."""
    people = compute(None, [2021]).query("kommune == 'Læsø'")["population"].iloc[0]
    invoice = lambda price: [{"kommune": "Læsø", "year": 2021, "component": "infrastructure",
                              "amount_dkk": price * people, "reference": "I"}]
    assert "26,0 % over 2020 (25,00 kr.)" in _warned(_calibrated(invoice(31.5)))["jump"][0]
    assert "jump" not in _warned(_calibrated(invoice(31.0)))


def test_monthly_invoices_one_row_per_month_are_added_up():
    people = compute(None, [2021]).query("kommune == 'Læsø'")["population"].iloc[0]
    rows = [{"kommune": "Læsø", "year": 2021, "component": "sapa", "amount_dkk": 12.0 * people / 12, "months": 1,
             "reference": f"F-{m:02d}"} for m in range(1, 13)]
    scenario = _calibrated(rows)
    assert scenario.params["sapa.price.calibrated"].by_year()[2021] == pytest.approx(12.0)
    assert "single" not in _warned(scenario) or "bygger på én faktura" in _warned(scenario)["single"][0]
    with pytest.raises(ScenarioError, match="adds up to more than 12 months"):
        _calibrated(rows + [{**rows[0], "reference": "F-13"}])
    with pytest.raises(ScenarioError, match="invoice 'F-01' is given twice"):
        _calibrated(rows[:2] + [rows[0]])


def test_strict_refuses_implausible_invoices_and_writes_nothing(tmp_path):
    people = compute(None, [2023]).query("kommune == 'Læsø'")["population"].iloc[0]
    invoices = tmp_path / "jan.csv"
    invoices.write_text(f"kommune;year;component;amount_dkk;reference\nLæsø;2023;sapa;{11.5 * people / 12:.2f};F-jan\n",
                        encoding="utf-8")
    out = tmp_path / "x.yaml"
    run = lambda *extra: subprocess.run([sys.executable, "-m", "sapa_model.cli", "calibrate", str(invoices), "--out",
                                         str(out), *extra], cwd=ROOT, capture_output=True, text=True, timeout=120)
    strict = run("--strict")
    assert strict.returncode == 2 and "Advarsler" in strict.stdout and "uden antal måneder" in strict.stdout
    assert not out.exists() and "Traceback" not in strict.stderr
    lenient = run()
    assert lenient.returncode == 0 and "Advarsler" in lenient.stdout and out.exists()


@pytest.mark.parametrize("rows,message", [
    (["Læsø;2026;sapa;abc;F-1"], "f.csv cannot be used: f.csv, row 2: amount_dkk: 'abc' is not a number\n"),
    (["Læsø;2026;sapa;abc;F-1", "Læsø;2026;sapa;10;"],
     "f.csv cannot be used:\n  f.csv, row 2: amount_dkk: 'abc' is not a number\n  f.csv, row 3: reference is missing; "
     "say where the amount comes from (e.g. the invoice number)\n"),
])
def test_calibrate_names_a_bad_invoice_file_as_followup_does(tmp_path, rows, message):
    invoices = tmp_path / "f.csv"
    invoices.write_text("\n".join(["kommune;year;component;amount_dkk;reference", *rows]) + "\n", encoding="utf-8")
    cli = lambda *args: subprocess.run([sys.executable, "-m", "sapa_model.cli", *args], cwd=ROOT, capture_output=True,
                                       text=True, timeout=120)
    calibrated = cli("calibrate", str(invoices), "--out", str(tmp_path / "x.yaml"))
    followed = cli("followup", "--invoices", str(invoices))
    assert (calibrated.returncode, calibrated.stderr) == (2, f"sapa: error: {message}")
    assert followed.stderr == calibrated.stderr and not (tmp_path / "x.yaml").exists()


def test_calibrate_names_the_file_when_the_model_cannot_place_an_invoice(tmp_path, capsys):
    from sapa_model.cli import main

    invoices = tmp_path / "f.csv"
    invoices.write_text("kommune;year;component;amount_dkk;reference\nLæsø;2050;sapa;2103,75;F-1\n", encoding="utf-8")
    assert main(["calibrate", str(invoices), "--out", str(tmp_path / "x.yaml")]) == 2
    assert capsys.readouterr().err == (
        "sapa: error: f.csv cannot be used: f.csv, row 2: year 2050 is outside the years the model covers, 2019-2040\n")


@pytest.mark.parametrize("raised,shown", [
    ("the invoices cannot be used:\n  f.csv, row 2: a", "f.csv cannot be used: f.csv, row 2: a"),
    ("the invoices cannot be used:\n  f.csv, row 2: a\n  f.csv, row 3: b",
     "f.csv cannot be used:\n  f.csv, row 2: a\n  f.csv, row 3: b"),  # each row on a line of its own
    ("the SAPA invoices imply a knee rate outside 0-1", "f.csv cannot be used: the SAPA invoices imply a knee rate outside 0-1"),
    ("the invoices do not agree:\n  f.csv, row 2: a", "f.csv cannot be used: the invoices do not agree: f.csv, row 2: a"),
    ("the invoices do not agree:\n  f.csv, row 2: a\n  f.csv, row 3: b",
     "f.csv cannot be used: the invoices do not agree:\n  f.csv, row 2: a\n  f.csv, row 3: b"),
])
def test_a_refusal_of_the_solve_is_shown_under_the_callers_heading(raised, shown):
    from sapa_model.scenarios.calibration import unusable

    assert unusable("f.csv cannot be used", ScenarioError(raised)) == shown


@pytest.mark.parametrize("where,english,danish", [
    (("f.csv", 4), "f.csv, row 4", "f.csv, række 4"),
    (("f.csv", 4, True, 1), "f.csv, row 4 and 1 other row", "f.csv, række 4 og 1 anden række"),
    (("f.csv", 4, True, 2), "f.csv, row 4 and 2 other rows", "f.csv, række 4 og 2 andre rækker"),
    (("calibration", 2, False), "calibration item 2", "calibration, punkt 2"),
    (("calibration", 2, False, 3), "calibration item 2 and 3 other items", "calibration, punkt 2 og 3 andre punkter"),
])
def test_where_an_invoice_comes_from_is_named_in_the_language_of_the_message(where, english, danish):
    from sapa_model.scenarios.calibration import Where
    from sapa_model.views.prose import place

    assert (str(Where(*where)), place(Where(*where))) == (english, danish)


def test_a_warning_in_danish_names_the_invoice_row_in_danish(tmp_path):
    from sapa_model.scenarios.calibration import read_observations
    from sapa_model.views.prose import finding

    people = compute(None, [2023]).query("kommune == 'Læsø'")["population"].iloc[0]
    invoices = tmp_path / "jan.csv"
    invoices.write_text("kommune;year;component;amount_dkk;reference\n\n"  # a blank row keeps its number
                        f"Læsø;2023;sapa;{11.5 * people / 12:.2f};F-jan\n", encoding="utf-8")
    scenario = scenario_from_data({"name": "x", "calibration_file": str(invoices)})
    texts = [finding(f, scenario.params) for f in scenario.calibrated.warnings]
    assert texts[0] == ("SAPA-pris pr. indbygger, kalibreret fra fakturaer 2023 bygger på én faktura alene "
                        "(jan.csv, række 3) og kan ikke kontrolleres mod andre.")
    assert texts[1].startswith("jan.csv, række 3: Læsøs faktura for 2023 svarer til en måned af modellens egen pris")
    assert all(" row" not in t for t in texts) and read_observations(invoices)[0][0].where.number == 3
