"""Applications on top of the views: the live scenario explorer and the server that serves it to a team."""
