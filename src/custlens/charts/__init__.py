"""Chart specs (Vega-Lite dicts) shared by the web dashboard and the reports."""
