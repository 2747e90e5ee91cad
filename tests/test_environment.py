"""environment.yml and pyproject.toml list the same packages with the same lower bounds."""

import re
import tomllib

import yaml

from conftest import ROOT


def _requirements(lines):
    return {re.split(r"[<>=!~ \[]", line, maxsplit=1)[0].lower(): line.replace(" ", "") for line in lines}


def test_environment_yml_lists_what_pyproject_declares():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _requirements(project["dependencies"] + project["optional-dependencies"]["test"])
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = _requirements(d for d in environment["dependencies"] if isinstance(d, str) and d not in ("pip",)
                          and not d.startswith("python="))
    assert conda == declared
    assert "python=3.11" in environment["dependencies"]
    assert {"pip": ['-e ".[test]"']} in environment["dependencies"] or any(
        isinstance(d, dict) and d.get("pip") == ['-e ".[test]"'] for d in environment["dependencies"])
