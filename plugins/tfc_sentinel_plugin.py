"""Registers tfc-sentinel's "Policy results" views (tfc_sentinel.ui.plugin) with Airflow.

Only this import lives under plugins/: Airflow imports every file here as a top-level module, so the
plugin class comes from the installed package (one class object, whatever imports it first).
"""

from tfc_sentinel.ui.plugin import TfcSentinelPlugin

__all__ = ["TfcSentinelPlugin"]
