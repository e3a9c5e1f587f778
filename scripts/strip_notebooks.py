"""Strip outputs and run metadata from the book's notebooks (only sources are committed).

python scripts/strip_notebooks.py            # strip every notebook under book/
python scripts/strip_notebooks.py --check    # CI: exit 1 and list the notebooks that need it
"""

import sys

from sdrlib.book.strip import main

if __name__ == "__main__":
    sys.exit(main())
