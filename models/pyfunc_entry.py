"""MLflow's entry file for the arsight pyfunc ("models from code").

`models.pyfunc.log_bundle` hands MLflow this file's path instead of a Python object. MLflow
copies the file into every logged model and executes it when the model is loaded, so the pyfunc
is rebuilt from the installed `models` package instead of being unpickled: loading a model from
a registry never runs pickled bytes, and the bundle itself is portable files (models/bundle.py).
arsight never imports this module; the statement below is the one MLflow requires at module
level, and is the only reason the file exists.
"""

from mlflow.models import set_model

from models.pyfunc import ArsightModel

set_model(ArsightModel())
