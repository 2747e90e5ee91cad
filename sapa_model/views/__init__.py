"""What people see: the analyses' figures, Danish labels and formats, charts, report furniture, notebook
set-up and the live explorer. Everything here presents what the engine computed."""

from pathlib import Path

# The house style of every report, the index and the served explorer: on a screen, on a phone, on A4.
STYLE_SHEET = Path(__file__).with_name("style.css")
