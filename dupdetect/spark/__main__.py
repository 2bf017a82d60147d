"""``python -m dupdetect.spark INPUT OUTPUT ...`` (and the file spark-submit runs)."""

from dupdetect.spark.job import main  # absolute: spark-submit runs this file as a script

raise SystemExit(main())
