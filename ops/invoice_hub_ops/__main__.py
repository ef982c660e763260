import sys

from invoice_hub_ops.cli import main

sys.exit(main())
