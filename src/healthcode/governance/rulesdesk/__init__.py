"""The administrators' rule-set pages."""
