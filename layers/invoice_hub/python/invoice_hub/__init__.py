"""invoice-hub: the shared package of every Lambda function (the layer)."""
