"""The bottom floor: one typed schema per file the project writes, with its version, writer and reader.

- `experiments`: experiment configs (experiments/*.yaml), cell.json and experiment.json;
- `per_query`: `<Task>.per_query.parquet`, the per-query records and their evaluation settings;
- `training_record`: `mteb_hybrid_training.json` beside a trained model.

Every module of the package reads these files through here; nothing here imports a higher floor.
"""
