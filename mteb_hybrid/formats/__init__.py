"""The bottom floor: one typed schema per file the project writes, with its version, writer and reader.

- `experiments`: experiment configs (experiments/*.yaml), cell.json and experiment.json;
- `per_query`: `<Task>.per_query.parquet`, the per-query records and their evaluation settings;
- `training_record`: `mteb_hybrid_training.json` beside a trained model (and the head that names the folder);
- `train_log`: `train_log.jsonl` of a training run and the wall time a checkpoint keeps;
- `export_kit`: the export's manifest (`.mteb-hybrid-export.json`) and its `scores/runs.json`;
- `user_config`: the user config file (`mteb-hybrid config`).

The per-query metrics are defined once, in `per_query.PER_QUERY_METRICS`.

Every module of the package reads these files through here; nothing here imports a higher floor.
"""
