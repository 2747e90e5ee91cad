"""Rebuild data/*.csv from the verified extracts in ../shared/data-sources/.

Run from the project root: python scripts/import_data.py [SOURCE_DIR]
The outputs are committed; this script documents exactly how they were made.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data-sources"
OUT = ROOT / "data"

# The seed deck spells two municipalities differently from Statistics Denmark.
SEED_TO_DST = {"Høje-Tåstrup": "Høje-Taastrup", "Vesthimmerland": "Vesthimmerlands"}


def main() -> None:
    pop = pd.read_csv(SOURCE / "population_1jan.csv")
    municipalities = (
        pop[["kommunekode", "kommune", "region"]].drop_duplicates().sort_values("kommunekode")
    )
    municipalities.to_csv(OUT / "municipalities.csv", index=False)
    pop[["kommunekode", "year", "population"]].sort_values(["kommunekode", "year"]).to_csv(
        OUT / "population.csv", index=False
    )
    checks = pd.read_csv(SOURCE / "population_1jan_checks.csv")
    checks[["year", "sum_98", "christiansoe", "hele_landet_same_source", "hele_landet_independent"]].rename(
        columns={"sum_98": "sum_98_kommuner", "hele_landet_same_source": "hele_landet"}
    ).to_csv(OUT / "national_totals.csv", index=False)

    waves = pd.read_csv(SOURCE / "sapa_wave_plan_2019.csv", dtype=str)
    waves["kommune"] = waves["kommune_as_in_seed"].replace(SEED_TO_DST)
    codes = municipalities.set_index("kommune")["kommunekode"]
    missing = sorted(set(waves["kommune"]) - set(codes.index))
    if missing:
        raise SystemExit(f"wave plan names not found in the population data: {missing}")
    waves["kommunekode"] = waves["kommune"].map(codes)
    waves["course_end"] = waves["course_end"].where(waves["wave"] != "pilot", "")
    waves[
        ["kommunekode", "kommune", "kommune_as_in_seed", "wave", "course_start", "course_end", "billing_start", "placement"]
    ].sort_values("kommunekode").to_csv(OUT / "waves.csv", index=False)
    print(f"wrote {len(municipalities)} municipalities, {len(pop)} population rows, {len(waves)} wave rows to {OUT}")


if __name__ == "__main__":
    main()
