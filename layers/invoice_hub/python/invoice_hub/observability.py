"""Logger of every function. Events and bodies are never logged: they carry patient data."""

from aws_lambda_powertools import Logger

logger = Logger()
