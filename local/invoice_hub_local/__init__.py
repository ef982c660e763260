"""The local stack: moto's server for AWS, resources built from template.yaml, a gateway over real HTTP."""
