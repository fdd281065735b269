"""Administration of staff accounts and checkpoint sites (role ``admin``): the use cases the CLI
and the back-office pages share (``service``) and the pages (``pages``)."""
