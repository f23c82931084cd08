"""kameng-filer: complain effectively against 卡盟/发卡 platforms — check, write, file, track."""

from kameng_filer.errors import KamengError

__version__ = "0.1.0"
__all__ = ["KamengError", "__version__"]
