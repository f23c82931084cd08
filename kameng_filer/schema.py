"""Every table of the local store on one metadata: the store's own and the tracker's.

The store's models (``kameng_filer.store.models``) know nothing of the tracker; the tracker's models
register on the store's ``Base``. Whoever needs the whole schema at once (alembic's environment,
``compare_metadata`` in the tests) imports ``METADATA`` from here, so neither package imports the other
in a circle.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from kameng_filer.store.models import Base
from kameng_filer.tracker import models as _tracker_models  # registers the tracker's tables on Base

METADATA: MetaData = Base.metadata
"""The store's and the tracker's tables (one schema, one alembic history)."""

TABLE_MODULES = ("kameng_filer.store.models", _tracker_models.__name__)
"""The modules whose tables are in ``METADATA``."""
