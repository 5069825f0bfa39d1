"""The monthly dues calculator (中组发〔2008〕3号, in force from 2008-04-01).

The rate applies to the whole base, not progressively; amounts are Decimal, rounded half up to the fen.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CITATION = "《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）第二条至第五条，2008-04-01 起施行"
FEN = Decimal("0.01")

CATEGORIES = {
    "in_service": "在职",
    "retired": "离退休",
    "farmer": "农民",
    "student": "学生",
    "unemployed": "下岗失业",
    "relief": "享受低保或救济",
}

# (upper bound of the base inclusive, rate); None = no upper bound
IN_SERVICE = ((Decimal("3000"), Decimal("0.005")), (Decimal("5000"), Decimal("0.01")),
              (Decimal("10000"), Decimal("0.015")), (None, Decimal("0.02")))  # fmt: skip
RETIRED = ((Decimal("5000"), Decimal("0.005")), (None, Decimal("0.01")))
FARMER_RANGE = (Decimal("0.20"), Decimal("1.00"))
FIXED = Decimal("0.20")  # students, unemployed or laid-off, relief / 低保
VOLUNTARY_REMIT = Decimal("1000")  # a single voluntary payment ≥ 1000 元 is remitted in full to the Centre


class DuesError(ValueError):
    pass


def to_amount(value, label="金额") -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise DuesError(f"{label}“{value}”不是有效的数字") from None
    if not amount.is_finite() or amount < 0:
        raise DuesError(f"{label}不能为负数")
    return amount


def rate_for(category: str, base: Decimal) -> Decimal:
    table = IN_SERVICE if category == "in_service" else RETIRED
    for upper, rate in table:
        if upper is None or base <= upper:
            return rate
    raise AssertionError("unreachable")


def monthly_dues(category: str, base=None) -> Decimal:
    """The monthly amount for a category and base (for farmers, `base` is the amount the branch set)."""
    if category not in CATEGORIES:
        raise DuesError(f"党费类别“{category}”无效，可选：{'、'.join(CATEGORIES)}")
    if category in ("student", "unemployed", "relief"):
        return FIXED
    if category == "farmer":
        amount = FIXED if base in (None, "") else to_amount(base, "缴纳标准").quantize(FEN, ROUND_HALF_UP)
        low, high = FARMER_RANGE
        if not low <= amount <= high:
            raise DuesError(f"农民党员每月缴纳 {low}–{high} 元，“{amount}”不在范围内")
        return amount
    if base in (None, ""):
        raise DuesError("请填写计算基数（每月税后固定工资或离退休费）")
    base = to_amount(base, "计算基数")
    return (base * rate_for(category, base)).quantize(FEN, ROUND_HALF_UP)
