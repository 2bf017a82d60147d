"""``python -m dupdetect.spark INPUT OUTPUT ...``"""

from .job import main

raise SystemExit(main())
