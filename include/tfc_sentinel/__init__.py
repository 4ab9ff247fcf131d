"""tfc-sentinel: test Terraform Cloud plans against Sentinel policies from Apache Airflow."""

__version__ = "0.1.0"
