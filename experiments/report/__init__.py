"""What-if reports for consultants: one self-contained HTML file, and every figure as PNG."""

from .data import ReportData, collect
from .html import comparison_report, sensitivity_report, store_report, write_report

__all__ = ["ReportData", "collect", "comparison_report", "sensitivity_report", "store_report", "write_report"]
