"""Analysis -> a sales summary in Turkish or English (pure; configuration from sales.yaml).

    summarise(analysis, lang="tr", config=load_config(path)) -> SalesSummary
"""

from .config import SalesConfig, load_config
from .offers import OfferLine
from .summary import SalesSummary, summarise

__all__ = ["OfferLine", "SalesConfig", "SalesSummary", "load_config", "summarise"]
