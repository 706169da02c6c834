"""Use cases that join the pipeline with inputs, stores and integrations."""
