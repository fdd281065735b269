"""The assembly above the features: finds them (routes, desks, jobs, runtimes), builds the app
with its OpenAPI document, security headers and middleware, and runs the background jobs. What
features build their pages and API on is the kit (:mod:`healthcode.kit`), below them."""
