# Built by its own issue; the app is installed now so that the layout is the one the design fixes.
