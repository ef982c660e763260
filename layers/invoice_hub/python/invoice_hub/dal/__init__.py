"""DynamoDB access. The only place where keys are built and where boto3 is called."""
