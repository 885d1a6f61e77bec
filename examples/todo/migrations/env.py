"""Migration environment: which models to compare, which database to migrate.

`python -m miniorm.migrations` imports this file. MODELS_MODULE names the
module whose Model classes autogenerate compares with the database;
DATABASE_URL is read from the environment (twelve-factor), with a default
for a laptop. Define `target_models()` returning a list instead, to choose
the models by hand.
"""

import os

MODELS_MODULE = "examples.todo.models"
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///todo.sqlite3")
