import sys

from invoice_hub.ops.cli import main

sys.exit(main())
