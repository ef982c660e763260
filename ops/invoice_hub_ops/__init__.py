"""The operators' command: `python -m invoice_hub_ops --stack <name> | --local <command> ...`.

Failed deliveries, DLQ re-drives, tenants, users and keys, against a deployed stack (found through
CloudFormation) or the local one that `make run` starts. See `python -m invoice_hub_ops --help` and the
runbook in README.md.
"""
