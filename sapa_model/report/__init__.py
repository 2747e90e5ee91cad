"""The report builder: executes the notebooks on warm kernels into offline HTML pages, with exports and an index."""
