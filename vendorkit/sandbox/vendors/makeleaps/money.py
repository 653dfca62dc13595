"""MakeLeaps' autocalculation (``autocalculate: true``): line prices, subtotals, tax per rate
(``mixed_tax_rate_totals``), Japanese withholding tax and the total, in the currency's decimal
places. Pure: no I/O, no HTTP."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .helpers import Record, _decimal, _money, _places, _rate_key
from .schemas import DEFAULT_TAX_RATE


def autocalculate(doc: Record) -> None:
    """Totals, line prices and ``mixed_tax_rate_totals`` as the docs' autocalculation does."""
    currency = doc.get("currency") or "JPY"
    places = _places(currency)
    given = doc.get("tax_rate")
    # A rate of 0 is a rate (tax-exempt), not an absent one: only None or "" falls back.
    doc_rate = _decimal(str(given)) if given not in (None, "") else DEFAULT_TAX_RATE
    if doc_rate is None:
        doc_rate = DEFAULT_TAX_RATE
    round_down = doc.get("round_tax_down", True)
    subtotal = running = sales_base = withholding_base = Decimal(0)
    per_rate: dict[Decimal, Decimal] = {}
    for li in doc.get("lineitems") or []:
        kind = li.get("kind") or "normal"
        if kind == "text":
            continue
        if kind == "subtotal":
            li["price"] = _money(running, places)
            running = Decimal(0)
            continue
        if kind == "normal":
            cost = _decimal(str(li.get("unit_cost") or "0")) or Decimal(0)
            qty = _decimal(str(li.get("quantity") or "1")) or Decimal(0)
            price = cost * qty
            li["price"] = _money(price, places)
        else:
            price = _decimal(str(li.get("price") or "0")) or Decimal(0)
        price = Decimal(_money(price, places))
        subtotal += price
        running += price
        if li.get("is_taxable", True):
            rate_text = li.get("tax_rate")
            rate = _decimal(str(rate_text)) if rate_text is not None else doc_rate
            rate = doc_rate if rate is None else rate
            sales_base += price
            # a tax-inclusive line still lists its rate, but adds no tax
            taxed = Decimal(0) if li.get("is_tax_inclusive") else price
            per_rate[rate] = per_rate.get(rate, Decimal(0)) + taxed
        if li.get("has_jp_withholding_tax"):
            withholding_base += price
    quant = Decimal(1).scaleb(-places)
    mode = ROUND_DOWN if round_down else ROUND_HALF_UP
    tax = Decimal(0)
    mixed: Record = {}
    for rate, base in sorted(per_rate.items()):
        t = (base * rate / 100).quantize(quant, mode)
        tax += t
        mixed[_rate_key(rate)] = {
            "subtotal": {"amount": _money(base, places), "currency": currency},
            "tax": {"amount": _money(t, places), "currency": currency},
        }
    if withholding_base <= 1_000_000:
        withholding = withholding_base * Decimal("0.1021")
    else:
        withholding = Decimal(102100) + (withholding_base - 1_000_000) * Decimal("0.2042")
    withholding = withholding.quantize(quant, ROUND_DOWN)
    doc["subtotal"] = _money(subtotal, places)
    doc["tax"] = _money(tax, places)
    doc["jp_withholding_tax"] = _money(withholding, places)
    doc["subtotal_sales_tax"] = _money(sales_base, places)
    doc["subtotal_withholding_tax"] = _money(withholding_base, places)
    doc["total"] = _money(subtotal + tax - withholding, places)
    doc["mixed_tax_rate_totals"] = mixed
