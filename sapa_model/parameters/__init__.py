"""Every number of the model as data: the YAML files beside this module, and the loader that reads them."""

from .loader import (
    PARAMETER_DIR,
    STATUSES,
    Parameter,
    ParameterSet,
    as_day,
    baseline,
    check_range,
    check_value,
    merge_values,
    parse_parameter,
    read_text,
    read_yaml,
    wave_of,
    whole_in_range,
)

__all__ = [
    "PARAMETER_DIR",
    "STATUSES",
    "Parameter",
    "ParameterSet",
    "as_day",
    "baseline",
    "check_range",
    "check_value",
    "merge_values",
    "parse_parameter",
    "read_text",
    "read_yaml",
    "wave_of",
    "whole_in_range",
]
