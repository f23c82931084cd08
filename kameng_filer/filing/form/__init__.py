"""The form engine's parts, one seam each; ``kameng_filer.filing.formfill.FormRunner`` puts them together.

``state`` (shared attributes) · ``locating`` · ``watching`` · ``steps`` · ``fields`` · ``widgets`` (the
widget registry) · ``uploads`` · ``human`` · ``session`` · ``receipt`` · ``reports`` (probe observer).
See docs/architecture.md.
"""
