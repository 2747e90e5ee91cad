"""Parameter files: every number documented, malformed files refused with file and key."""

import warnings

import pytest

import sapa_model
from sapa_model import ParameterError, ParameterExtrapolationWarning, compute
from sapa_model.parameters import PARAMETER_DIR, STATUSES, parse_parameter, read_yaml
from sapa_model.parameters.loader import per_wave


def test_every_parameter_has_description_unit_status_and_reference():
    params = sapa_model.baseline()
    assert len(params) > 30
    for name, parameter in params.items():
        assert parameter.description and parameter.unit and parameter.reference, name
        assert parameter.status in STATUSES, name


def test_the_sourced_facts_are_in_the_parameters():
    params = sapa_model.baseline()
    assert params.value("infrastructure.price_per_inhabitant", "2019-12-31") == 0
    assert params.value("infrastructure.price_per_inhabitant", "2020-01-01") == 25
    assert params.value("infrastructure.knee.threshold", "2020-06-01") == 150_000
    assert params.value("infrastructure.knee.rate", "2020-06-01") == 0.5
    assert [params.value("buffet.price_per_inhabitant", f"{y}-06-01") for y in (2018, 2019, 2020, 2021)] == [
        1.37, 1.94, 2.79, 4.80]
    assert str(params.value("billing.earliest_start")) == "2019-07-01"
    assert params.value("sapa.knee.threshold", "2025-01-01") == 150_000


def _record(**changes):
    record = {"description": "d", "unit": "kr.", "status": "sourced", "reference": "r", "values": {"2020-01-01": 1}}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


@pytest.mark.parametrize("changes,message", [
    ({"unit": None}, "missing unit"),
    ({"status": None}, "missing status"),
    ({"status": "guess"}, "must be one of sourced, seed, calibrated, scenario, assumption, illustrative"),
    ({"colour": "red"}, r"unknown key\(s\) \['colour'\]"),
    ({"values": {"2020-13-01": 1}}, "is not a date"),
    ({"value": 3}, "either 'values'"),
    ({"values": {"2020-01-01": [1, 2]}}, "must be a number, a date or a word"),
])
def test_malformed_records_are_refused_naming_file_and_key(changes, message):
    with pytest.raises(ParameterError, match=message) as caught:
        parse_parameter("x.price", _record(**changes), "x.yaml")
    assert "x.yaml, x.price" in str(caught.value)


def test_duplicate_dates_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("x.price:\n  description: d\n  unit: kr.\n  status: sourced\n  reference: r\n"
                    "  values:\n    2020-01-01: 1\n    2020-01-01: 2\n")
    with pytest.raises(ParameterError, match=r"dup.yaml: line 8: .*given twice"):
        read_yaml(path)


def test_shipped_files_parse_and_names_are_unique():
    names = [full for path in PARAMETER_DIR.glob("*.yaml") for name, record in read_yaml(path).items()
             for full, _ in per_wave(name, record, path.name)]
    assert len(names) == len(set(names)) == len(sapa_model.baseline())


def test_past_the_last_value_warns_once_naming_the_parameter():
    with pytest.warns(ParameterExtrapolationWarning, match="buffet.price_per_inhabitant") as caught:
        compute(years=[2022])
        compute(years=[2023])
    assert sum("buffet.price_per_inhabitant" in str(w.message) for w in caught) == 1


def test_no_warning_within_the_known_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParameterExtrapolationWarning)
        compute(years=[2020])


def test_extrapolated_parameters_are_flagged_per_year():
    table = compute(years=[2021, 2022])
    buffet = table[table["component"] == "buffet"]
    assert not buffet.loc[buffet["year"] == 2021, "extrapolated"].str.contains("buffet").any()
    assert buffet.loc[buffet["year"] == 2022, "extrapolated"].str.contains("buffet.price_per_inhabitant").all()
    assert "buffet.price_per_inhabitant" in table.attrs["extrapolated"]


def test_unknown_parameter_suggests_the_close_ones():
    with pytest.raises(ParameterError, match="did you mean sapa.knee.threshold"):
        sapa_model.baseline()["sapa.knee.treshold"]
