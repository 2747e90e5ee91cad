"""What people see: the analyses' figures, Danish labels and formats, charts, report furniture, notebook
set-up and the live explorer. Everything here presents what the engine computed."""
