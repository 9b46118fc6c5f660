"""Which branch serves which township in the demo (pure data)."""

# branch code → (branch name, township codes it serves). 城区支行 serves two streets: one or more.
BRANCHES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("LX01", "城区支行", ("330781001", "330781002")),
    ("LX02", "上华支行", ("330781003",)),
    ("LX03", "永昌支行", ("330781004",)),
    ("LX04", "赤溪支行", ("330781005",)),
    ("LX05", "女埠支行", ("330781006",)),
    ("LX06", "游埠支行", ("330781101",)),
    ("LX07", "诸葛支行", ("330781102",)),
    ("LX08", "黄店支行", ("330781103",)),
    ("LX09", "香溪支行", ("330781104",)),
    ("LX10", "马涧支行", ("330781105", "330781201")),
    ("LX11", "梅江支行", ("330781106",)),
    ("LX12", "横溪支行", ("330781107",)),
    ("LX13", "灵洞支行", ("330781200",)),
    ("LX14", "水亭支行", ("330781202",)),
)

BANK_NAME = "浙江兰溪农村商业银行"
DEMO_TOWNSHIP = "330781102"  # 诸葛镇: the demo accounts' township
DEMO_BRANCH = "LX07"
HOUSEHOLDS_PER_GRID = 700
MAX_GRIDS_PER_VILLAGE = 4
GRIDS_PER_ACCOUNT_MANAGER = 6
