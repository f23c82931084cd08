"""The bundled example case (examples/case.yaml + evidence/), shipped as kameng_filer.examples."""
