"""Staff API keys: the keys, their guard on the staff API, the administrators' page."""
