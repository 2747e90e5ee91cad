"""The data: the 98 municipalities, population on 1 January, the wave plan, names people use, and the
tables users supply (forecasts, invoices)."""
