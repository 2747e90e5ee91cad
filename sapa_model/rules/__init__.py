"""The pricing rules: pure, vectorised functions over municipalities x months, reading parameters through
the grid. No file is read here; each rule is one short formula with the parameters it names."""
