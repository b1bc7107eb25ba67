"""Supplier economics: what staff, channels, programmes and customers cost and earn.

Agents are paid for staffed time, not busy time; account managers cost more;
trained agents carry a yearly training cost; self-service costs per session;
interventions cost per customer per year while they run; every acquired
customer costs ``acquisition_multiple x retention_cost_per_customer``. Revenue
accrues per product per year while the customer stays; profit is the gross
margin on revenue minus all costs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Prices", "acquisition_cost_per_customer", "customer_lifetime_value", "profit"]


def acquisition_cost_per_customer(acquisition_multiple: float, retention_cost_per_customer: float) -> float:
    """Winning a customer costs a multiple (5-8 in the essays) of keeping one."""
    return acquisition_multiple * retention_cost_per_customer


def customer_lifetime_value(margin_per_year: float, retention_rate: float, discount_rate: float) -> float:
    """CLV of a customer who pays ``margin_per_year`` at the end of each year they stay.

    With yearly retention ``r`` and discount rate ``i`` this is the geometric sum
    ``m r / (1 + i - r)`` (Gupta & Lehmann 2003).
    """
    if not 0.0 <= retention_rate < 1.0 + discount_rate:
        raise ValueError(f"retention_rate must be in [0, 1 + discount_rate), got {retention_rate}")
    return margin_per_year * retention_rate / (1.0 + discount_rate - retention_rate)


def profit(revenue: float, gross_margin: float, cost_total: float) -> float:
    return gross_margin * revenue - cost_total


@dataclass(frozen=True)
class Prices:
    """The unit prices the summary needs, read from a scenario."""

    self_service_cost: float
    acquisition_cost: float
    gross_margin: float

    @classmethod
    def of(cls, scenario) -> Prices:
        e = scenario.economics
        return cls(
            self_service_cost=scenario.channels.self_service.cost_per_session,
            acquisition_cost=acquisition_cost_per_customer(
                e.acquisition_multiple, e.retention_cost_per_customer
            ),
            gross_margin=e.gross_margin,
        )
