"""The kit features build their pages and API on, below them: request dependencies, forms,
errors and their one shape, the templates' environment and base layout, static assets, what the
app holds for its life, the overload bound. It imports no feature with pages or an API, and
nothing of :mod:`healthcode.web`, the assembly above the features."""
