"""DynamoDB access. The only place where keys are built and where the AWS SDK (botocore) is called."""
