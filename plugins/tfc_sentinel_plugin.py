"""Registers tfc-sentinel's "Policy results" views (tfc_sentinel.ui.plugin) and its Terraform Cloud
webhook receivers (tfc_sentinel.webhooks.plugin) with Airflow.

Only this import lives under plugins/: Airflow imports every file here as a top-level module, so the
plugin class comes from the installed package (one class object, whatever imports it first).
"""

from tfc_sentinel.ui.plugin import TfcSentinelPlugin
from tfc_sentinel.webhooks.plugin import TfcSentinelWebhooksPlugin

__all__ = ["TfcSentinelPlugin", "TfcSentinelWebhooksPlugin"]
