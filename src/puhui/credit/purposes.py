"""What a loan's purpose counts for in the plan (DK7 美丽家园, DK8 美丽田园), pure: no Django.

The purpose is what the borrower or the account manager writes at the drawdown (API.md: a free `purpose`); the
plan's two programmes are recognised by their names, or by the codes a channel may send instead of a text."""

GENERAL = "general"
HOME_IMPROVEMENT = "home_improvement"  # 美丽家园: house repair, renovation, sanitation
INDUSTRY_CHAIN = "industry_chain"  # 美丽田园: agricultural industry chains

KEYWORDS = (
    (HOME_IMPROVEMENT, ("美丽家园", HOME_IMPROVEMENT)),
    (INDUSTRY_CHAIN, ("美丽田园", INDUSTRY_CHAIN)),
)


def purpose_kind_of(purpose: str) -> str:
    """The programme a purpose names (the first named, if both are), else general."""
    text = (purpose or "").strip().lower()
    hits = [(text.find(word), kind) for kind, words in KEYWORDS for word in words if word in text]
    return min(hits)[1] if hits else GENERAL
