"""The questions the reports answer, as tables and numbers computed from the engine: budget years and price
levels, old against new, the knee, the risk bands. No Danish text and no display library here; views/ words and
draws what these return."""
