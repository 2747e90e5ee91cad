"""The report builder: executes the notebooks in warm workers into offline HTML pages, with exports and an index."""
