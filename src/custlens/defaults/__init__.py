"""Default tag rules (tags.yaml) and strategies (strategies.yaml) shipped with custlens.

Copy one into the workspace directory to edit it; the workspace copy then replaces the default.
"""
