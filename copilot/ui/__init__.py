"""The browser pages (plain HTML, CSS and JavaScript in static/), served by copilot/api/routes_ui.py."""
