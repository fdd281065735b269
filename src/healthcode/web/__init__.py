"""The HTTP face: assembles every feature's routes, templates, static files and error mapping."""
